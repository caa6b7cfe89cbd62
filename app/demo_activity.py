"""Demo activity: what the demo city's people have done, so every page has something to show.

- CPNS in the orientation course at every stage: not started (some overdue), reading,
  completed with a certificate;
- PNS who finished the masterplan course as e-learning over the past year, some reading it,
  some assigned it and overdue; one of their certificates revoked;
- a bimtek session of the masterplan course today and tomorrow, with a facilitator and
  confirmed participants from several OPDs, today's attendance partly recorded;
- the demo learner with a course in progress and one certificate.

Everything goes through the services a user's clicks call, at past `now` values, so
certificates are issued and signed and the report rollups follow. Choices come from a
seeded random generator; only the question order the quiz service draws varies.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import citytime
from app.bimtek import attendance, scheduling, seats
from app.bimtek.forms import DayInput, SessionInput
from app.certificates import service as certificates
from app.certificates.models import Certificate
from app.city import service as city
from app.courses.models import Course, CourseModule, CourseQuiz
from app.demo import demo_email
from app.progress import service as progress_service
from app.progress.models import Enrolment
from app.quizzes import service as quizzes
from app.quizzes.schema import QuestionModel
from app.users.models import EmploymentStatus, User

ONBOARDING = "orientasi-digital-cpns"
MASTERPLAN = "bimtek-masterplan-smart-city"
# How far back completions go: most of a year, so the JP and weekly charts have a history.
HISTORY_DAYS = 320
BIMTEK_PARTICIPANTS = 8
PRESENT_TODAY = 6

DEMO_SIGNER = "Dr. Hendra Wijaya, S.Kom., M.T."


def progress(db: Session, *, now: datetime) -> None:
    """Play the demo city's activity up to `now` (after the shipped courses are synced)."""
    courses = {c.slug: c for c in db.scalars(select(Course).where(Course.archived.is_(False)))}
    onboarding, masterplan = courses.get(ONBOARDING), courses.get(MASTERPLAN)
    if onboarding is None or masterplan is None:
        return
    rng = random.Random(7)
    admin = _account(db, "admin")
    # A signer before anything is issued: the demo's certificates carry a name and NIP.
    city.set_signer(
        db,
        name=DEMO_SIGNER,
        nip="197505052000031002",
        title="Kepala Dinas Komunikasi dan Informatika",
        actor_id=admin.id,
        now=now,
    )
    learner = _account(db, "learner")
    facilitator = _account(db, "fasilitator")
    # The generated ASN (the demo accounts have e-mail addresses), in creation order.
    people = list(db.scalars(select(User).where(User.email.is_(None)).order_by(User.id)))
    cpns = [p for p in people if p.employment_status == EmploymentStatus.CPNS]
    pns = [p for p in people if p.employment_status != EmploymentStatus.CPNS]

    completions: list[tuple[User, Course]] = []
    for k, person in enumerate(cpns):
        stage = k % 4
        if stage == 0:
            _not_started(db, person=person, course=onboarding, now=now, overdue=k % 8 == 0)
        elif stage == 1:
            _in_progress(db, person=person, course=onboarding, now=now, rng=rng)
        else:
            completions.append((person, onboarding))
    participants = pns[:BIMTEK_PARTICIPANTS]
    rest = pns[BIMTEK_PARTICIPANTS:]
    completers, readers, overdue = rest[:10], rest[10:13], rest[13:]
    completions += [(person, masterplan) for person in completers]
    for person in readers:
        _in_progress(db, person=person, course=masterplan, now=now, rng=rng)
    for person in overdue:
        _not_started(db, person=person, course=masterplan, now=now, overdue=True)

    # Completion dates spread evenly over the history, oldest first, with some jitter.
    issued = []
    for j, (person, course) in enumerate(completions):
        days_back = 7 + (len(completions) - j) * HISTORY_DAYS // len(completions)
        finish = now - timedelta(days=days_back, hours=rng.randint(0, 48))
        issued.append(_complete(db, person=person, course=course, finish=finish, rng=rng))
    if learner is not None:
        _complete(db, person=learner, course=masterplan, finish=now - timedelta(days=45), rng=rng)
        _in_progress(db, person=learner, course=onboarding, now=now, rng=rng, items=4)
    if admin is not None:
        revoked = next((c for c in issued if c is not None and c.course_id == masterplan.id), None)
        if revoked is not None:
            certificates.revoke(
                db,
                certificate=revoked,
                reason="Diterbitkan untuk peserta yang salah (contoh data demo).",
                actor=admin,
                now=now - timedelta(days=3),
                ip=None,
            )
        _bimtek_today(
            db,
            course=masterplan,
            admin=admin,
            facilitator=facilitator,
            participants=participants,
            now=now,
        )
    db.commit()


def _account(db: Session, role: str) -> User | None:
    return db.scalar(select(User).where(User.email == demo_email(role)))


def _enrol(db: Session, *, person: User, course: Course, at: datetime, **kw) -> Enrolment:
    enrolment = progress_service.enrol(db, user_id=person.id, course=course, now=at, **kw)
    # The default assignment rule enrolled CPNS when the courses were synced (today);
    # in the demo's story they were assigned when their activity began.
    enrolment.enrolled_at = min(at, enrolment.enrolled_at)
    return enrolment


def _not_started(db: Session, *, person: User, course: Course, now: datetime, overdue: bool):
    enrolment = _enrol(
        db, person=person, course=course, at=now - timedelta(days=60), source="assigned"
    )
    if overdue:
        enrolment.due_date = citytime.today(now) - timedelta(days=10)
    db.commit()


def _in_progress(
    db: Session,
    *,
    person: User,
    course: Course,
    now: datetime,
    rng: random.Random,
    items: int | None = None,
) -> None:
    start = now - timedelta(days=rng.randint(10, 30))
    enrolment = _enrol(db, person=person, course=course, at=start, source="self")
    outline = progress_service.outline(db, course=course, enrolment=enrolment)
    count = items if items is not None else rng.randint(1, len(outline) - 2)
    _work(db, enrolment=enrolment, items=outline[:count], start=start, end=now, rng=rng)


def _complete(
    db: Session, *, person: User, course: Course, finish: datetime, rng: random.Random
) -> Certificate | None:
    """Read every module and pass every quiz, the last at `finish`: the course completes and
    its certificate is issued by the completion hook."""
    start = finish - timedelta(days=rng.randint(7, 20))
    enrolment = _enrol(db, person=person, course=course, at=start, source="self")
    outline = progress_service.outline(db, course=course, enrolment=enrolment)
    _work(db, enrolment=enrolment, items=outline, start=start, end=finish, rng=rng)
    return db.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))


def _work(
    db: Session,
    *,
    enrolment: Enrolment,
    items: list[progress_service.OutlineItem],
    start: datetime,
    end: datetime,
    rng: random.Random,
) -> None:
    """Do `items` in order at times spread from `start` to `end` (the last one at `end`)."""
    for n, item in enumerate(items, start=1):
        at = start + (end - start) * n / len(items)
        if item.kind == "module":
            module = db.get(CourseModule, item.id)
            progress_service.mark_completed(db, enrolment=enrolment, module=module, now=at)
        else:
            quiz = db.get(CourseQuiz, item.id)
            _pass_quiz(db, enrolment=enrolment, quiz=quiz, at=at, wrong=rng.choice([0, 1, 1, 2]))


def _pass_quiz(
    db: Session, *, enrolment: Enrolment, quiz: CourseQuiz, at: datetime, wrong: int
) -> None:
    """Submit an attempt with `wrong` answers missed at `at`; a failed one is retried once
    an hour earlier, all correct (so the passing attempt is the last, at `at`)."""
    attempts = [(at - timedelta(hours=1), wrong), (at, 0)] if wrong else [(at, 0)]
    for submitted_at, missed in attempts:
        attempt = quizzes.start_attempt(
            db, enrolment=enrolment, quiz=quiz, now=submitted_at - timedelta(minutes=12)
        )
        questions = quizzes.quiz_of_attempt(db, attempt).question_map()
        drawn = sorted(q["question_id"] for q in attempt.layout)
        for qid in drawn:
            quizzes.save_answer(
                db,
                attempt=attempt,
                question_id=qid,
                values=_answer(questions[qid], correct=qid not in drawn[:missed]),
                now=submitted_at - timedelta(minutes=5),
            )
        if quizzes.submit(db, attempt=attempt, now=submitted_at).passed:
            return


def _answer(question: QuestionModel, *, correct: bool) -> list[str]:
    """Form values answering `question` right or wrong (options by their index in the file)."""
    if question.type == "single":
        right = next(i for i, o in enumerate(question.options) if o.correct)
        return [str(right if correct else (right + 1) % len(question.options))]
    if question.type == "multiple":
        right = [i for i, o in enumerate(question.options) if o.correct]
        wrong = [i for i, o in enumerate(question.options) if not o.correct][:1]
        return [str(i) for i in (right if correct else right[:1] + wrong)]
    if question.type == "true_false":
        # Option 0 is "Benar" (True), option 1 "Salah".
        return ["0" if question.answer == correct else "1"]
    if question.type == "short":
        return [question.answers[0] if correct else "-"]
    value = question.answer if correct else question.answer + question.tolerance + 1
    return [str(int(value)) if float(value).is_integer() else repr(float(value))]


def _bimtek_today(
    db: Session,
    *,
    course: Course,
    admin: User,
    facilitator: User | None,
    participants: list[User],
    now: datetime,
) -> None:
    """A two-day session (today and tomorrow in the city) with confirmed participants,
    some of them marked present today by the facilitator."""
    today = citytime.today(now)
    tomorrow = today + timedelta(days=1)
    # Today's day starts by now at the latest, so its attendance can be recorded.
    opens = min(time(8), time(citytime.local(now).hour))
    days = [
        DayInput(None, today, citytime.at(today, opens), citytime.at(today, time(16))),
        DayInput(None, tomorrow, citytime.at(tomorrow, time(8)), citytime.at(tomorrow, time(16))),
    ]
    data = SessionInput(
        title="Bimtek Penyusunan Masterplan Smart City Angkatan I",
        course_id=course.id,
        venue="Aula Diskominfo, Lantai 2",
        online_link=None,
        facilitator_names=facilitator.full_name if facilitator else "Tim Smart City Diskominfo",
        facilitator_logins=[facilitator.nip] if facilitator else [],
        capacity=30,
        default_quota_per_opd=3,
        registration_opens=now - timedelta(days=14),
        registration_closes=now - timedelta(days=1),
        jp=16,
        required_attendance_percent=100,
        allow_self_registration=False,
        days=days,
    )
    session = scheduling.create_session(db, data=data, actor=admin, now=now - timedelta(days=15))
    for person in participants:
        seats.nominate(
            db,
            session_id=session.id,
            person_id=person.id,
            actor=admin,
            now=now - timedelta(days=10),
        )
    first_day = session.days[0]
    window_opens = attendance.checkin_window(first_day)[0]
    for k, person in enumerate(participants[:PRESENT_TODAY]):
        attendance.mark_present(
            db,
            session_id=session.id,
            day_id=first_day.id,
            person_id=person.id,
            actor=facilitator or admin,
            now=max(window_opens, now - timedelta(minutes=3 * (PRESENT_TODAY - k))),
        )

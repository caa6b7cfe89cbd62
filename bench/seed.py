"""Prepare a benchmark database: a city from gen_data.py plus what the load scenarios need.

    .venv/bin/python bench/seed.py --database-url sqlite:///tmp/b/cakap.db --data-dir /tmp/b/var \
        --secret-key … --out /tmp/b/seed.json [--scale 10000] [--quiz-users 2000]

1. `bench/gen_data.py` fills the database: N ASN in 40 OPDs with ~20 enrolments each,
   progress, completions and (unsigned) certificates — the reports' volume.
2. The shipped courses (`courses/`) are synced, exactly as `cakap courses sync` does.
3. Every person gets the same password; its argon2id hash (production parameters) is
   computed once.
4. Disjoint groups of learners are enrolled in the shipped courses with module progress and
   graded quiz history (pure grading functions, random answers); a few hundred complete the
   CPNS course and receive real, signed certificates through the certificate service; a
   bimtek session with a day today gets confirmed participants; a kominfo and an OPD admin
   account are added.
5. Login sessions are minted directly (what a successful login stores), so the load
   scenarios do not spend minutes in argon2 — the login storm measures that on its own.

Everything the load scenarios need (session tokens, ids, NIPs) is written to --out as JSON.
Bulk rows go in with SQLAlchemy Core; only the certificates go through the service.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select, update  # noqa: E402

import app.models  # noqa: E402, F401  (every table)
from app import citytime, wiring  # noqa: E402
from app.auth.models import AuthSession  # noqa: E402
from app.auth.passwords import Hasher  # noqa: E402
from app.auth.sessions import token_hash  # noqa: E402
from app.certificates import service as certificates  # noqa: E402
from app.config import Settings  # noqa: E402
from app.courses.models import Course, CourseModule, CourseQuiz, QuizVersion  # noqa: E402
from app.courses.sync import sync_courses  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.demo_city import analyze, fix_sequences  # noqa: E402
from app.opds.models import Opd  # noqa: E402
from app.progress.models import Enrolment, ModuleProgress  # noqa: E402
from app.quizzes.grading import draw_questions, grade_attempt  # noqa: E402
from app.quizzes.models import QuizAnswer, QuizAttempt  # noqa: E402
from app.quizzes.schema import Quiz  # noqa: E402
from app.users.models import User, UserRole  # noqa: E402

try:  # bimtek is a newer domain; without it the check-in scenario is skipped
    from app.bimtek.models import BimtekDay, BimtekSession, Nomination
except ImportError:  # pragma: no cover - depends on the checkout
    BimtekSession = None

# Published on purpose: benchmark databases only.
BENCH_PASSWORD = "cakap-bench-2026"  # noqa: S105
CPNS_COURSE = "orientasi-digital-cpns"
BIMTEK_COURSE = "bimtek-masterplan-smart-city"
CHUNK = 5_000


def _chunks(rows: list, size: int = CHUNK):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def random_response(question, rng: random.Random):
    """A plausible learner answer of the right shape (right or wrong)."""
    if question.type == "single":
        return rng.randrange(len(question.options))
    if question.type == "true_false":
        return rng.random() < 0.5
    if question.type == "multiple":
        k = rng.randint(1, len(question.options))
        return sorted(rng.sample(range(len(question.options)), k))
    if question.type == "numeric":
        return str(question.answer if rng.random() < 0.6 else rng.randint(0, 100))
    answers = getattr(question, "answers", None) or ["tidak tahu"]
    return answers[0] if rng.random() < 0.6 else "tidak tahu"


def mint_sessions(conn, user_ids: list[int], now: datetime) -> dict[int, str]:
    """What a successful login stores: one session row per user; returns the raw tokens."""
    tokens = {uid: secrets.token_urlsafe(32) for uid in user_ids}
    rows = [
        {
            "id": token_hash(token),
            "user_id": uid,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + timedelta(hours=12),
            "ip": "127.0.0.1",
            "user_agent": "cakap-bench",
        }
        for uid, token in tokens.items()
    ]
    for batch in _chunks(rows):
        conn.execute(insert(AuthSession), batch)
    return tokens


def add_bimtek(conn, course, people: list, now: datetime) -> dict:
    """A bimtek session with a day today (in the city) and every person confirmed in it."""
    today = citytime.today(now)
    session_id = conn.execute(
        insert(BimtekSession)
        .values(
            title="Bimtek Masterplan Smart City (benchmark)",
            course_id=course.id,
            venue="Aula Diskominfo",
            facilitator_names="Narasumber",
            capacity=max(len(people), 1),
            registration_opens=now - timedelta(days=30),
            registration_closes=now - timedelta(days=1),
            jp=course.jp,
            required_attendance_percent=100,
            allow_self_registration=False,
            created_at=now - timedelta(days=30),
        )
        .returning(BimtekSession.id)
    ).scalar_one()
    day_id = conn.execute(
        insert(BimtekDay)
        .values(
            session_id=session_id,
            date=today,
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(hours=6),
        )
        .returning(BimtekDay.id)
    ).scalar_one()
    for batch in _chunks(people):
        conn.execute(
            insert(Nomination),
            [
                {
                    "session_id": session_id,
                    "user_id": p.id,
                    "opd_id": p.opd_id,
                    "status": "confirmed",
                    "created_at": now - timedelta(days=20),
                    "decided_at": now - timedelta(days=19),
                }
                for p in batch
            ],
        )
        conn.execute(
            insert(Enrolment),
            [
                {
                    "user_id": p.id,
                    "course_id": course.id,
                    "source": "bimtek",
                    "enrolled_at": now - timedelta(days=19),
                    "status": "enrolled",
                    "items_done": 0,
                    "items_required": 10,
                    "progress_percent": 0,
                }
                for p in batch
            ],
        )
    return {"session_id": session_id, "day_id": day_id}


def seed(args) -> dict:
    wiring.install()  # certificates take their JP from the hooks, as in the app
    rng = random.Random(args.seed)
    settings = Settings(
        database_url=args.database_url,
        data_dir=Path(args.data_dir),
        secret_key=args.secret_key,
        courses_dir=ROOT / "courses",
    )
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_data.py"),
            "--scale",
            str(args.scale),
            "--database-url",
            args.database_url,
        ],
        check=True,
    )
    generated_s = time.perf_counter() - started
    engine = make_engine(args.database_url)
    maker = make_sessionmaker(engine, settings)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        fix_sequences(conn)
    with maker() as db:
        report = sync_courses(db, root=settings.courses_dir, now=now)
        if report.errors:
            raise SystemExit(f"course sync failed: {report.errors}")

    hasher = Hasher(
        settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
    )
    shared_hash = hasher.hash(BENCH_PASSWORD)  # once: every bench account shares it

    with engine.begin() as conn:
        conn.execute(update(User).values(password_hash=shared_hash))
        people = conn.execute(
            select(User.id, User.nip, User.opd_id)
            .where(User.active.is_(True), User.nip.is_not(None))
            .order_by(User.id)
        ).all()
        courses = {c.slug: c for c in conn.execute(select(Course.slug, Course.id, Course.jp))}
        cpns, bimtek = courses[CPNS_COURSE], courses[BIMTEK_COURSE]
        modules = conn.execute(
            select(CourseModule.id, CourseModule.slug, CourseModule.current_version_id)
            .where(CourseModule.course_id == cpns.id, CourseModule.archived.is_(False))
            .order_by(CourseModule.position)
        ).all()
        quizzes = {
            q.slug: q
            for q in conn.execute(
                select(CourseQuiz.id, CourseQuiz.slug, CourseQuiz.current_version_id).where(
                    CourseQuiz.course_id == cpns.id
                )
            )
        }
        required = len(modules) + conn.scalar(
            select(func.count())
            .select_from(CourseQuiz)
            .where(CourseQuiz.course_id == cpns.id, CourseQuiz.required.is_(True))
        )

        # Disjoint groups, so one scenario never disturbs another's users.
        sizes = {
            "quiz": args.quiz_users,
            "answer": 100,
            "page": 500,
            "cert": 200,
            "checkin": args.checkin_users if BimtekSession is not None else 0,
            "login": 500,
        }
        if sum(sizes.values()) + 2 > len(people):
            raise SystemExit(f"--scale {args.scale} is too small for groups {sizes}")
        groups: dict[str, list] = {}
        pool = list(people)
        rng.shuffle(pool)
        for name, size in sizes.items():
            groups[name], pool = pool[:size], pool[size:]

        # Staff: a kominfo account and the OPD admin of the largest OPD.
        largest_opd = conn.execute(
            select(User.opd_id, func.count()).group_by(User.opd_id).order_by(func.count().desc())
        ).first()[0]
        kominfo = pool.pop()
        opd_admin = next(p for p in pool if p.opd_id == largest_opd)
        pool.remove(opd_admin)
        conn.execute(
            insert(UserRole),
            [
                {"user_id": kominfo.id, "role": "kominfo"},
                {"user_id": opd_admin.id, "role": "opd_admin"},
            ],
        )

        # Enrol the learners of every group except check-in in the CPNS course, with progress.
        enrolment_ids: dict[int, int] = {}
        next_id = (conn.scalar(select(func.max(Enrolment.id))) or 0) + 1
        enrol_rows, progress_rows = [], []
        learners = groups["quiz"] + groups["answer"] + groups["page"] + groups["cert"]
        sitting_the_exam = {person.id for person in groups["quiz"]}
        for person in learners:
            complete = person in groups["cert"]
            # The final exam `requires: modules`: whoever sits it has read every module.
            everything_read = complete or person.id in sitting_the_exam
            done = len(modules) if everything_read else rng.randint(0, len(modules))
            enrolled = now - timedelta(days=rng.randint(10, 60))
            enrol_rows.append(
                {
                    "id": next_id,
                    "user_id": person.id,
                    "course_id": cpns.id,
                    "source": "assigned",
                    "due_date": (now + timedelta(days=rng.randint(-5, 30))).date(),
                    "enrolled_at": enrolled,
                    "started_at": enrolled + timedelta(hours=2) if done else None,
                    "last_activity_at": now - timedelta(days=rng.randint(0, 9)) if done else None,
                    "completed_at": None,
                    "status": "in_progress" if done else "enrolled",
                    "items_done": done,
                    "items_required": required,
                    "progress_percent": done * 100 // required,
                    "final_score": None,
                }
            )
            for module in modules[:done]:
                progress_rows.append(
                    {
                        "enrolment_id": next_id,
                        "module_id": module.id,
                        "started_at": enrolled + timedelta(hours=2),
                        "completed_at": enrolled + timedelta(hours=3),
                        "completed_version_id": module.current_version_id,
                    }
                )
            enrolment_ids[person.id] = next_id
            next_id += 1
        # The course's `assign:` rule (CPNS) enrolled some of them at sync, without progress:
        # those enrolments are replaced by the seeded ones.
        for batch in _chunks([person.id for person in learners]):
            conn.execute(
                delete(Enrolment).where(
                    Enrolment.course_id == cpns.id, Enrolment.user_id.in_(batch)
                )
            )
        for batch in _chunks(enrol_rows):
            conn.execute(insert(Enrolment), batch)
        for batch in _chunks(progress_rows):
            conn.execute(insert(ModuleProgress), batch)

        # Graded history on the first module quiz for ~40 % of them (answers kept per row).
        quiz = quizzes["kuis-modul-1-2"]
        definition = Quiz.model_validate(
            conn.scalar(
                select(QuizVersion.definition).where(QuizVersion.id == quiz.current_version_id)
            )
        )
        questions = definition.question_map()
        attempt_id = (conn.scalar(select(func.max(QuizAttempt.id))) or 0) + 1
        attempt_rows, answer_rows = [], []
        for person in learners:
            if rng.random() >= 0.4:
                continue
            drawn = draw_questions(definition, rng)
            responses = {
                d.question_id: random_response(questions[d.question_id], rng) for d in drawn
            }
            result = grade_attempt(definition, drawn, responses)
            started_at = now - timedelta(days=rng.randint(1, 9), minutes=30)
            attempt_rows.append(
                {
                    "id": attempt_id,
                    "user_id": person.id,
                    "enrolment_id": enrolment_ids[person.id],
                    "quiz_id": quiz.id,
                    "quiz_version_id": quiz.current_version_id,
                    "number": 1,
                    "started_at": started_at,
                    "deadline": None,
                    "submitted_at": started_at + timedelta(minutes=12),
                    "status": "submitted",
                    "layout": [
                        {"question_id": d.question_id, "option_order": d.option_order}
                        for d in drawn
                    ],
                    "score_percent": result.score_percent,
                    "points": result.points,
                    "max_points": result.max_points,
                    "passed": result.passed,
                    "results": {
                        qid: {"points": r.points, "max_points": r.max_points, "correct": r.correct}
                        for qid, r in result.per_question.items()
                    },
                }
            )
            for qid, response in responses.items():
                answer_rows.append(
                    {
                        "attempt_id": attempt_id,
                        "question_id": qid,
                        "response": response,
                        "saved_at": started_at + timedelta(minutes=5),
                    }
                )
            attempt_id += 1
        for batch in _chunks(attempt_rows):
            conn.execute(insert(QuizAttempt), batch)
        for batch in _chunks(answer_rows):
            conn.execute(insert(QuizAnswer), batch)

        fix_sequences(conn)  # the rows above were inserted with explicit ids
        # A bimtek session with a day today (in the city) and confirmed participants.
        bimtek_ids = add_bimtek(conn, bimtek, groups["checkin"], now) if BimtekSession else None

    # Real certificates for the "cert" group: complete the course through the service.
    with maker() as db:
        cert_rows = []
        for person in groups["cert"]:
            enrolment = db.get(Enrolment, enrolment_ids[person.id])
            enrolment.status = "completed"
            enrolment.completed_at = now - timedelta(days=rng.randint(0, 9))
            enrolment.items_done = required
            enrolment.progress_percent = 100
            enrolment.final_score = round(rng.uniform(70, 100), 2)
            certificate = certificates.issue(db, enrolment=enrolment, now=now)
            cert_rows.append((person.id, certificate.id, certificate.code))
        db.commit()

    with engine.begin() as conn:
        every = {p.id for g in ("quiz", "answer", "page", "cert", "checkin") for p in groups[g]}
        every |= {kominfo.id, opd_admin.id}
        tokens = mint_sessions(conn, sorted(every), now)
    analyze(engine)
    with engine.connect() as conn:
        counts = {
            "users": conn.scalar(select(func.count()).select_from(User)),
            "opds": conn.scalar(select(func.count()).select_from(Opd)),
            "enrolments": conn.scalar(select(func.count()).select_from(Enrolment)),
            "module_progress": conn.scalar(select(func.count()).select_from(ModuleProgress)),
            "quiz_attempts": conn.scalar(select(func.count()).select_from(QuizAttempt)),
            "quiz_answers": conn.scalar(select(func.count()).select_from(QuizAnswer)),
            "certificates": conn.scalar(select(func.count()).select_from(certificates.Certificate)),
        }
    engine.dispose()

    def users(name: str) -> list[dict]:
        return [{"id": p.id, "nip": p.nip, "token": tokens[p.id]} for p in groups[name]]

    return {
        "password": BENCH_PASSWORD,
        "counts": counts,
        "generated_s": round(generated_s, 1),
        "seed_s": round(time.perf_counter() - started, 1),
        "course": CPNS_COURSE,
        "modules": [m.slug for m in modules],
        "timed_quiz": "ujian-akhir",
        "practice_quiz": "kuis-modul-1-2",
        "quiz_users": users("quiz"),
        "answer_users": users("answer"),
        "page_users": users("page"),
        "checkin_users": users("checkin"),
        "login_users": [{"id": p.id, "nip": p.nip} for p in groups["login"]],
        "cert_users": [
            {"id": uid, "token": tokens[uid], "certificate_id": cid, "code": code}
            for uid, cid, code in cert_rows
        ],
        "kominfo": {"id": kominfo.id, "token": tokens[kominfo.id]},
        "opd_admin": {"id": opd_admin.id, "token": tokens[opd_admin.id], "opd_id": largest_opd},
        "bimtek": bimtek_ids,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True, help="CAKAP_DATA_DIR of the bench server")
    parser.add_argument("--secret-key", required=True, help="CAKAP_SECRET_KEY of the server")
    parser.add_argument("--out", required=True, help="JSON file for the load scenarios")
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--quiz-users", type=int, default=2_000)
    parser.add_argument("--checkin-users", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    data = seed(args)
    Path(args.out).write_text(json.dumps(data))
    print(
        f"seeded in {data['seed_s']} s: "
        + ", ".join(f"{k}={v:,}" for k, v in data["counts"].items()),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

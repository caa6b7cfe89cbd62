"""Quiz pages: intro, attempt (answers saved as the learner answers), submit, results."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from app.auth.deps import CurrentUser, Monitor, SessionToken, current_user_in_route
from app.courses import service as courses
from app.courses.models import CourseQuiz
from app.i18n import gettext as _
from app.progress import service as progress
from app.quizzes import keys, results, service
from app.quizzes.models import AttemptStatus
from app.web import FormDep, SessionDep, redirect_after_post, render

router = APIRouter()


def _quiz_or_404(db, course, slug: str) -> CourseQuiz:
    quiz = db.scalar(
        select(CourseQuiz).where(
            CourseQuiz.course_id == course.id,
            CourseQuiz.slug == slug,
            CourseQuiz.archived.is_(False),
        )
    )
    if quiz is None:
        raise HTTPException(404)
    return quiz


def _attempt_or_404(db, attempt_id: int, user, now):
    attempt = service.get_attempt(db, attempt_id=attempt_id, user_id=user.id)
    if attempt is None:
        raise HTTPException(404)
    return service.expire_if_due(db, attempt=attempt, now=now)


@router.get("/kursus/{slug}/kuis/{quiz_slug}")
def quiz_page(request: Request, db: SessionDep, user: CurrentUser, slug: str, quiz_slug: str):
    course = courses.get_course(db, slug)
    if course is None:
        raise HTTPException(404)
    quiz = _quiz_or_404(db, course, quiz_slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    if enrolment is None:
        return RedirectResponse(f"/kursus/{slug}", status_code=303)
    definition = service.quiz_by_version(db, quiz.current_version_id)
    now = request.app.state.clock()
    attempts = [
        service.expire_if_due(db, attempt=a, now=now)
        for a in service.attempts_of(db, user_id=user.id, quiz_id=quiz.id)
    ]
    open_attempt = next((a for a in attempts if a.status == AttemptStatus.open), None)
    graded = [a for a in attempts if a.status != AttemptStatus.open]
    remaining = None if definition.max_attempts is None else definition.max_attempts - len(attempts)
    return render(
        request,
        "quizzes/intro.html",
        {
            "course": course,
            "quiz": quiz,
            "definition": definition,
            "attempts": graded,
            "open_attempt": open_attempt,
            "remaining": remaining,
            "best": max((a.score_percent for a in graded), default=None),
            "passed": any(a.passed for a in graded),
            "question_count": _question_count(definition),
            # Shown the answer key on the monitoring page: the page says why it cannot start.
            "key_seen": service.KEY_SEEN_MESSAGE
            if keys.has_seen(db, user_id=user.id, quiz_id=quiz.id)
            else None,
            # `requires` not met yet: the page says what comes first instead of "Mulai".
            "waiting": service.prerequisite_message(waiting)
            if (waiting := service.waiting_for(db, enrolment=enrolment, quiz=quiz))
            else None,
        },
    )


def _question_count(definition) -> int:
    if definition.draw is None:
        return len(definition.questions)
    if definition.draw.count is not None:
        return definition.draw.count
    return sum((definition.draw.tags or {}).values())


@router.post("/kursus/{slug}/kuis/{quiz_slug}/mulai")
def start(request: Request, db: SessionDep, user: CurrentUser, slug: str, quiz_slug: str):
    course = courses.get_course(db, slug)
    if course is None:
        raise HTTPException(404)
    quiz = _quiz_or_404(db, course, quiz_slug)
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    if enrolment is None:
        raise HTTPException(403, _("Anda belum terdaftar di kursus ini."))
    try:
        attempt = service.start_attempt(
            db, enrolment=enrolment, quiz=quiz, now=request.app.state.clock()
        )
    except service.KeySeen as exc:
        raise HTTPException(403, str(exc)) from exc
    except service.QuizError as exc:
        raise HTTPException(409, str(exc)) from exc
    return redirect_after_post(request, f"/kuis/percobaan/{attempt.id}")


@router.get("/kuis/percobaan/{attempt_id}")
def attempt_page(
    request: Request, db: SessionDep, user: CurrentUser, attempt_id: int, tersimpan: int = 0
):
    attempt = _attempt_or_404(db, attempt_id, user, request.app.state.clock())
    if attempt.status != AttemptStatus.open:
        return RedirectResponse(f"/kuis/percobaan/{attempt.id}/hasil", status_code=303)
    view = service.attempt_view(db, attempt)
    course = attempt.quiz.course
    return render(
        request,
        "quizzes/attempt.html",
        {
            "view": view,
            "attempt": attempt,
            "course": course,
            "quiz": attempt.quiz,
            "flash": _("Jawaban tersimpan.") if tersimpan else None,
        },
    )


@router.post("/kuis/percobaan/{attempt_id}/jawab")
def save_one(request: Request, form: FormDep, db: SessionDep, token: SessionToken, attempt_id: int):
    """htmx: save a single question's answer as soon as it changes.

    The exam peak's most frequent request (2,000 learners, one save every few seconds
    each), so it does not take the login dependency: the lean save checks the session
    itself, in one thread hop and two statements. Whatever it did not store goes the full
    way, which answers exactly as before (login page, 404, closed, out of time)."""
    question_id = str(form.get("question", ""))[:100]
    values = [str(v) for v in form.getlist(f"q-{question_id}")]
    now = request.app.state.clock()
    if service.save_answer_lean(
        db,
        token=token,
        attempt_id=attempt_id,
        question_id=question_id,
        values=values,
        settings=request.app.state.settings,
        now=now,
    ):
        return render(request, "quizzes/_saved.html", {"saved_at": now})
    user = current_user_in_route(request, db)
    attempt = _attempt_or_404(db, attempt_id, user, now)
    try:
        answer = service.save_answer(
            db, attempt=attempt, question_id=question_id, values=values, now=now
        )
    except service.QuizError as exc:
        # Closed or out of time: tell htmx to show the result (graded with what was saved).
        headers = {}
        if attempt.status != AttemptStatus.open or isinstance(exc, service.DeadlinePassed):
            headers["HX-Redirect"] = f"/kuis/percobaan/{attempt.id}/hasil"
        return render(
            request, "quizzes/_saved.html", {"error": str(exc)}, status_code=409, headers=headers
        )
    return render(request, "quizzes/_saved.html", {"saved_at": answer.saved_at})


@router.post("/kuis/percobaan/{attempt_id}/simpan")
def save_all(request: Request, form: FormDep, db: SessionDep, user: CurrentUser, attempt_id: int):
    """Without JavaScript: the whole form is posted; save every question in it."""
    now = request.app.state.clock()
    attempt = _attempt_or_404(db, attempt_id, user, now)
    values = {key: [str(v) for v in form.getlist(key)] for key in form}
    try:
        service.save_answers(db, attempt=attempt, form=values, now=now)
    except service.QuizError:
        return RedirectResponse(f"/kuis/percobaan/{attempt.id}/hasil", status_code=303)
    return RedirectResponse(f"/kuis/percobaan/{attempt.id}?tersimpan=1", status_code=303)


@router.post("/kuis/percobaan/{attempt_id}/kumpulkan")
def submit(request: Request, form: FormDep, db: SessionDep, user: CurrentUser, attempt_id: int):
    now = request.app.state.clock()
    attempt = _attempt_or_404(db, attempt_id, user, now)
    if attempt.status == AttemptStatus.open:
        values = {key: [str(v) for v in form.getlist(key)] for key in form}
        in_time = True
        try:
            # The plain form carries every answer; htmx has saved them already.
            service.save_answers(db, attempt=attempt, form=values, now=now)
        except service.QuizError:
            in_time = False  # time is up or already submitted: grade what was saved in time
        view = service.attempt_view(db, attempt)
        unanswered = [
            (number, q.id)
            for number, q in enumerate(view.questions, start=1)
            if view.answers.get(q.id) in (None, "", [])
        ]
        # Submitting burns one of the attempts: with questions left open, ask once more
        # (a page of its own, so it works without JavaScript). Out of time, grade at once.
        if in_time and unanswered and form.get("konfirmasi") != "1":
            definition = service.quiz_of_attempt(db, attempt)
            used = len(service.attempts_of(db, user_id=user.id, quiz_id=attempt.quiz_id))
            return render(
                request,
                "quizzes/confirm_submit.html",
                {
                    "attempt": attempt,
                    "quiz": attempt.quiz,
                    "course": attempt.quiz.course,
                    "unanswered": unanswered,
                    "total": len(view.questions),
                    "attempts_left": None
                    if definition.max_attempts is None
                    else definition.max_attempts - used,
                },
            )
        service.submit(db, attempt=attempt, now=now)
    return redirect_after_post(request, f"/kuis/percobaan/{attempt.id}/hasil")


@router.get("/kuis/percobaan/{attempt_id}/hasil")
def result(request: Request, db: SessionDep, user: CurrentUser, attempt_id: int):
    attempt = _attempt_or_404(db, attempt_id, user, request.app.state.clock())
    if attempt.status == AttemptStatus.open:
        return RedirectResponse(f"/kuis/percobaan/{attempt.id}", status_code=303)
    attempts = service.attempts_of(db, user_id=user.id, quiz_id=attempt.quiz_id)
    definition = service.quiz_of_attempt(db, attempt)
    remaining = None if definition.max_attempts is None else definition.max_attempts - len(attempts)
    course = attempt.quiz.course
    enrolment = progress.get_enrolment(db, user_id=user.id, course_id=course.id)
    return render(
        request,
        "quizzes/result.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "course": course,
            "definition": definition,
            "review": results.review(db, attempt, all_attempts=attempts),
            "remaining": remaining,
            "enrolment": enrolment,
        },
    )


@router.get("/pantau/kuis/{quiz_id}")
def quiz_statistics(request: Request, db: SessionDep, user: Monitor, quiz_id: int, kunci: int = 0):
    quiz = db.get(CourseQuiz, quiz_id)
    if quiz is None or quiz.current_version_id is None:
        raise HTTPException(404)
    now = request.app.state.clock()
    # Keys only for admins who ask for them (?kunci=1, after a warning on the page), and not
    # while they have an attempt of this quiz running.
    may_see = keys.may_see_keys(user) and not _attempt_running(db, user, quiz, now)
    with_keys = may_see and kunci == 1
    if with_keys:
        # A write on a GET, on purpose: once shown the key, the person may not sit the quiz.
        keys.record_view(db, user_id=user.id, quiz_id=quiz.id, now=now)
        db.commit()
    return render(
        request,
        "quizzes/stats.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "stats": results.question_stats(db, quiz=quiz, with_keys=with_keys),
            "with_keys": with_keys,
            "may_see_keys": may_see,
        },
    )


def _attempt_running(db, user, quiz, now) -> bool:
    return any(
        a.status == AttemptStatus.open and (a.deadline is None or now < a.deadline)
        for a in service.attempts_of(db, user_id=user.id, quiz_id=quiz.id)
    )

"""Import every model so Base.metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, LoginAttempt
from app.courses.models import (
    Course,
    CourseModule,
    CourseQuiz,
    CourseSyncRun,
    ModuleVersion,
    QuizVersion,
)
from app.db import Base
from app.opds.models import Opd
from app.progress.models import Enrolment, ModuleProgress
from app.quizzes.models import QuizAnswer, QuizAttempt
from app.users.models import User, UserRole

__all__ = [
    "AuditEvent",
    "AuthSession",
    "Base",
    "Course",
    "CourseModule",
    "CourseQuiz",
    "CourseSyncRun",
    "Enrolment",
    "LoginAttempt",
    "ModuleProgress",
    "ModuleVersion",
    "Opd",
    "QuizAnswer",
    "QuizAttempt",
    "QuizVersion",
    "User",
    "UserRole",
]

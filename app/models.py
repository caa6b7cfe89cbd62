"""Import every model so Base.metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, LoginAttempt, PasswordResetToken
from app.bimtek.models import Attendance, BimtekDay, BimtekQuota, BimtekSession, Nomination
from app.certificates.models import Certificate, CertificateCounter
from app.city.models import CityProfile
from app.courses.models import (
    Course,
    CourseModule,
    CourseQuiz,
    CourseSyncRun,
    ModuleVersion,
    QuizVersion,
)
from app.db import Base
from app.notifications.models import Notification
from app.opds.models import Opd
from app.progress.models import AssignmentRule, Enrolment, ModuleProgress
from app.quizzes.models import QuizAnswer, QuizAttempt
from app.ratelimit import RateLimitHit
from app.reports.models import ApiToken
from app.users.models import ActivationCode, ImportJob, User, UserRole

__all__ = [
    "ActivationCode",
    "ApiToken",
    "AssignmentRule",
    "Attendance",
    "AuditEvent",
    "AuthSession",
    "Base",
    "BimtekDay",
    "BimtekQuota",
    "BimtekSession",
    "Certificate",
    "CertificateCounter",
    "CityProfile",
    "Course",
    "CourseModule",
    "CourseQuiz",
    "CourseSyncRun",
    "Enrolment",
    "ImportJob",
    "LoginAttempt",
    "ModuleProgress",
    "ModuleVersion",
    "Notification",
    "Nomination",
    "Opd",
    "PasswordResetToken",
    "QuizAnswer",
    "QuizAttempt",
    "QuizVersion",
    "RateLimitHit",
    "User",
    "UserRole",
]

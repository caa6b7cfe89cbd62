"""Import every model so Base.metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, LoginAttempt
from app.db import Base
from app.opds.models import Opd
from app.users.models import User, UserRole

__all__ = ["AuditEvent", "AuthSession", "Base", "LoginAttempt", "Opd", "User", "UserRole"]

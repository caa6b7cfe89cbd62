"""CSRF tokens bound to the session (or, before login, to an anonymous cookie nonce).

The token is an HMAC of the session id, so it is stateless across workers and differs
for every session: another session's token is rejected. It is accepted only from the
`X-CSRF-Token` header (htmx) or the `csrf_token` form field — never the query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi import HTTPException, Request

from app.web.cookies import SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrf-token"
FIELD = "csrf_token"


def make_token(secret: bytes, key: str) -> str:
    digest = hmac.new(secret, b"csrf:" + key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def csrf_key(request: Request) -> str:
    # Keyed on the session cookie itself, so checking needs no database round trip; a
    # stale cookie still yields a consistent key, and the route then asks for a login.
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return "s:" + hashlib.sha256(session_token.encode()).hexdigest()
    return "a:" + request.state.anon_nonce


def token_for(request: Request) -> str:
    return make_token(request.app.state.settings.secret, csrf_key(request))


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse state-changing requests without this session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, token_for(request)):
        raise HTTPException(
            status_code=403,
            detail="Permintaan ditolak: token keamanan (CSRF) tidak ada atau tidak cocok. "
            "Muat ulang halaman lalu coba lagi.",
        )

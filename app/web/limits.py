"""Request bodies are bounded before anything reads them (ASGI middleware).

Without it Starlette spools a multipart body of any size to disk, and parses a urlencoded
one of any size into memory — and the CSRF check reads the form of every POST, anonymous
ones included, before any route could refuse it. The limit is enforced twice: from
`Content-Length` before a byte is read, and while the body streams in (a chunked body, or
a client that lies about its length), so a refusal costs at most `limit` bytes.

Only the routes that take file uploads get the larger limit, and only for requests that
carry a session cookie: an anonymous client can never make the server read more than the
small default (the route then asks for a login anyway).

FastAPI 0.165 has a `max_body_size` of its own; it is not used because its per-route limit
is fixed when the route is declared (ours comes from the settings), it cannot tell a
logged-in upload from an anonymous one, and it lets the route run before answering 413
when the declared length is already too large.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.cookies import SESSION_COOKIE

MESSAGE = "Isi permintaan terlalu besar (maksimal %(mb)s MB)."


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the streamed body passes the limit; rendered as a 413 page
    by the app's error handlers (or answered by the middleware, if it escapes them)."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=MESSAGE % {"mb": _megabytes(limit)})


def _megabytes(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:.0f}" if megabytes >= 1 else f"{megabytes:.1f}"


def _has_session_cookie(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"cookie" and (SESSION_COOKIE + "=").encode() in value:
            return True
    return False


class BodySizeLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int,
        upload_limit: int,
        upload_paths: Iterable[str] = (),
    ):
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit
        self.upload_paths = frozenset(upload_paths)

    def limit_for(self, scope: Scope) -> int:
        if scope["path"] in self.upload_paths and _has_session_cookie(scope):
            return self.upload_limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # Refused before the app sees the request: no route runs on a body it did not read.
            await _plain_413(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Raised where no error handler caught it (outside the routes): answer here.
            if started:
                raise
            await _plain_413(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


PAGE = (
    '<!doctype html><html lang="id"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Berkas terlalu besar</title><h1>Berkas terlalu besar</h1><p>%(message)s</p>"
    '<p><a href="/">Kembali ke beranda</a></p></html>'
)


async def _plain_413(send: Send, limit: int) -> None:
    body = (PAGE % {"message": MESSAGE % {"mb": _megabytes(limit)}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

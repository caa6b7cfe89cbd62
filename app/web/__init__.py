"""The web layer every domain's routes use: templates, page rendering, forms, the
confirmation step and the request middleware. It imports no domain: domain-specific
template filters are added by `app.main` (the one module that knows every domain)."""

from __future__ import annotations

import secrets
import time
import uuid
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments.fastapi import Jinja2Blocks
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import citytime, i18n, labels
from app.config import PROJECT_ROOT
from app.web.cookies import ANON_COOKIE, LANG_COOKIE
from app.web.csrf import token_for
from app.web.session import SessionDep, get_session  # noqa: F401  (re-exported)

TEMPLATES_DIR = PROJECT_ROOT / "app" / "templates"

templates = Jinja2Blocks(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
)
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
templates.env.filters.update(tanggal=i18n.fmt_date, hari=i18n.fmt_day, angka=i18n.fmt_number)
templates.env.globals["LOCALES"] = i18n.LOCALES
# "WIB", "WITA" or "WIT" after a time or in a column heading: the city's zone (CAKAP_TIMEZONE).
templates.env.globals["zone_label"] = citytime.label
templates.env.filters["label"] = labels.label
_markdown = MarkdownIt("js-default").enable("table")


@lru_cache(maxsize=2048)
def markdown_html(text: str) -> Markup:
    """Author-written Markdown (quiz text, feedback) as safe HTML: raw HTML is escaped."""
    return Markup(_markdown.render(text or ""))  # noqa: S704 - js-default escapes raw HTML


@lru_cache(maxsize=4096)
def markdown_inline(text: str) -> Markup:
    return Markup(_markdown.renderInline(text or ""))  # noqa: S704 - raw HTML escaped


def excel_csv(query: str) -> str:
    """A report link's query string plus `excel=1`: the CSV for Excel set to Indonesian."""
    return f"{query}&excel=1" if query else "?excel=1"


templates.env.filters["excel"] = excel_csv
templates.env.filters["markdown"] = markdown_html
templates.env.filters["markdown_inline"] = markdown_inline

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


def static_files(directory) -> ASGIApp:
    """The /static app: cached (see CachedStaticFiles) and gzip-compressed for clients that
    accept it — htmx shrinks from 52 to about 17 kB, the CSS to a third. Only static files
    are compressed: compressing pages that carry the CSRF token next to reflected input
    would open them to BREACH-style length attacks."""
    return GZipMiddleware(CachedStaticFiles(directory=directory), minimum_size=512, compresslevel=6)


class CachedStaticFiles(StaticFiles):
    """Static files with a Cache-Control header: browsers keep CSS, JS and fonts for an
    hour and then revalidate with the ETag StaticFiles already sends (file names carry no
    version, so a longer lifetime would keep old CSS after an upgrade)."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
        return response


async def posted_form(request: Request) -> FormData:
    """The request's form, read on the event loop so that routes can be plain `def`s.

    FastAPI runs `def` routes in its threadpool but `async def` routes on the event loop,
    where one blocking database call (an SQLite write lock wait, say) stalls every other
    request of the worker. Routes that read a form take it from here instead of awaiting
    `request.form()` themselves (Starlette caches it, so the CSRF check reads it once).
    """
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only `block` of it when htmx asked for a fragment."""
    ctx = {
        "user": getattr(getattr(request.state, "auth", None), "user", None),
        "csrf_token": token_for(request),
        "settings": request.app.state.settings,
        "locale": i18n.current_locale.get(),
    }
    ctx.update(context or {})
    kwargs: dict[str, Any] = {}
    if block and is_htmx(request):
        kwargs["block_name"] = block
    response = templates.TemplateResponse(
        request, template, ctx, status_code=status_code, headers=headers, **kwargs
    )
    response.headers["Vary"] = "HX-Request"
    return response


def redirect_after_post(request: Request, url: str) -> Response:
    """303 for plain forms; HX-Redirect for htmx (which would otherwise swap the next page in)."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


CONFIRM_FIELD = "konfirmasi"
# Never carried over into the confirmation page's hidden fields.
_NOT_CARRIED = {"csrf_token", "password", CONFIRM_FIELD}


def confirmed(form: FormData) -> bool:
    return form.get(CONFIRM_FIELD) == "1"


def confirmation(
    request: Request,
    form: FormData,
    *,
    title: str,
    message: str,
    back: str,
    button: str,
) -> Response:
    """The second step of a destructive action (merge, revoke, deactivate, remove a role):
    a page that says what will happen and posts the same fields again with konfirmasi=1.
    A page of its own rather than `window.confirm`, so it works without JavaScript. A
    password is never carried over into the page."""
    fields = [(k, v) for k, v in form.multi_items() if k not in _NOT_CARRIED and isinstance(v, str)]
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "message": message,
            "action": request.url.path,
            "fields": fields,
            "back": back,
            "button": button,
        },
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Pages are personal (names, NIPs, codes, scores): no browser or proxy keeps a copy unless a
# route says otherwise (static files, course assets, the public status list).
NO_STORE = (b"cache-control", b"no-store")


class RequestContextMiddleware:
    """Per request: locale, anonymous CSRF nonce cookie, request id, security headers."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool, logger=None):
        self.app = app
        self.secure = secure_cookies
        self.logger = logger
        # HSTS only when the public URL is https: on plain http it would be ignored anyway,
        # and on a LAN install it must not pin a name to https by accident.
        self.headers = SECURITY_HEADERS + ([HSTS] if secure_cookies else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        nonce = request.cookies.get(ANON_COOKIE)
        new_nonce = None
        if not nonce or len(nonce) > 64:
            nonce = new_nonce = secrets.token_urlsafe(16)
        state = scope.setdefault("state", {})
        state["anon_nonce"] = nonce
        state["request_id"] = request_id = uuid.uuid4().hex[:16]
        token = i18n.current_locale.set(i18n.pick_locale(request.cookies.get(LANG_COOKIE)))
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in self.headers if h[0] not in present]
                if b"cache-control" not in present and not scope["path"].startswith("/static/"):
                    headers.append(NO_STORE)
                headers.append((b"x-request-id", request_id.encode()))
                if new_nonce:
                    cookie = f"{ANON_COOKIE}={new_nonce}; Path=/; HttpOnly; SameSite=Lax"
                    if self.secure:
                        cookie += "; Secure"
                    headers.append((b"set-cookie", cookie.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            i18n.current_locale.reset(token)
            if self.logger is not None:
                self.logger.request(scope, state, status, time.perf_counter() - started)

"""Mail templates (app/templates/mail/): a subject, a one-line summary, text and HTML.

Each kind of message is a pair `mail/<kind>.txt` and `mail/<kind>.html`. The .txt file
defines the blocks `subject` and `summary` (one sentence, for the Notifikasi page) and
both files fill `body`; the layouts add the greeting, the link back into Cakap and the
footer. Rendered in the recipient's language, with the instance settings in context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block

from app import i18n
from app.config import PROJECT_ROOT, Settings

_env = Environment(
    loader=FileSystemLoader(PROJECT_ROOT / "app" / "templates" / "mail"),
    # Only the HTML part is escaped; the text part is text.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    extensions=["jinja2.ext.i18n"],
    # A missing name in a mail is a bug, not an empty line in someone's inbox.
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
)
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
_env.filters.update(tanggal=i18n.fmt_date, hari=i18n.fmt_day, angka=i18n.fmt_number)


@dataclass(frozen=True)
class Rendered:
    subject: str
    summary: str
    text: str
    html: str


def absolute(settings: Settings, link: str | None) -> str:
    """A path inside Cakap as the URL a mail reader can open."""
    base = settings.base_url.rstrip("/")
    if not link:
        return base + "/"
    return link if link.startswith(("http://", "https://")) else base + link


def render(
    kind: str,
    context: dict[str, Any],
    *,
    settings: Settings,
    locale: str | None,
    recipient_name: str | None,
    link: str | None,
) -> Rendered:
    """Render one message of `kind` for one recipient."""
    ctx = {
        **context,
        "recipient_name": recipient_name,
        "url": absolute(settings, link),
        "base_url": absolute(settings, None),
        "city_name": settings.city_name,
        "office_name": settings.office_name,
    }
    token = i18n.current_locale.set(i18n.pick_locale(locale))
    try:
        subject = render_block(_env, f"{kind}.txt", "subject", ctx)
        summary = render_block(_env, f"{kind}.txt", "summary", ctx)
        text = _env.get_template(f"{kind}.txt").render(ctx)
        html = _env.get_template(f"{kind}.html").render(ctx)
    finally:
        i18n.current_locale.reset(token)
    # A subject is one line (a newline in it would end the header).
    return Rendered(" ".join(subject.split()), " ".join(summary.split()), text, html)

"""Markdown for module bodies: one parser, safe rendering, and link extraction for checks.

`MarkdownIt("js-default")` escapes raw HTML and refuses `javascript:`, `vbscript:`, `file:`
and non-image `data:` destinations (they stay plain text). On top of that we:
- rewrite image paths (relative to the course folder) through `asset_url`,
- rewrite links to `other-module.md` through `module_url`,
- mark external links `rel="noopener noreferrer"` and drop links with other schemes,
- turn a paragraph that is only a video URL into a link card (never an iframe),
- give headings ids so authors can link to `#a-heading`.

Rendering is deterministic: the same text and callbacks always give the same HTML, because
the web layer caches rendered modules by content hash.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline, image, link
from markdown_it.token import Token

TargetKind = Literal["anchor", "external", "data", "module", "asset", "outside", "unsupported"]
LinkKind = Literal["image", "link"]

EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com")
EXTERNAL_REL = "noopener noreferrer"

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_BARE_URL_RE = re.compile(r"^<?(https?://[^\s<>]+)>?$")


@dataclass(frozen=True)
class LinkTarget:
    """What a link or image destination points at, in course terms.

    `path` is the normalised relative path (course-relative for assets); `module` is the
    module slug for a link written as a bare file name (`other-module.md`), else None.
    """

    kind: TargetKind
    path: str = ""
    module: str | None = None
    fragment: str = ""


def resolve_target(target: str) -> LinkTarget:
    """Classify a (percent-decoded) destination the way both the renderer and loader see it."""
    if not target or target.startswith("#"):
        return LinkTarget("anchor", fragment=target[1:])
    scheme = _SCHEME_RE.match(target)
    if scheme or target.startswith("//"):
        name = scheme.group(1).lower() if scheme else "https"
        if name == "data":
            return LinkTarget("data")
        return LinkTarget("external" if name in EXTERNAL_SCHEMES else "unsupported")
    if target.startswith(("/", "\\")):
        return LinkTarget("outside", path=target)
    path, _, fragment = target.partition("#")
    path = path.partition("?")[0]
    normalised = posixpath.normpath(path)
    if normalised == ".." or normalised.startswith("../"):
        return LinkTarget("outside", path=normalised, fragment=fragment)
    if normalised.endswith(".md"):
        slug = None if "/" in normalised else normalised[: -len(".md")]
        return LinkTarget("module", path=normalised, module=slug, fragment=fragment)
    return LinkTarget("asset", path=normalised, fragment=fragment)


def heading_id(text: str) -> str:
    """Anchor id for a heading: ASCII lower-case words joined by hyphens."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "bagian"


def video_link(paragraph: str) -> tuple[str, str] | None:
    """(url, host to show) when a paragraph is nothing but a YouTube/Vimeo URL, else None."""
    match = _BARE_URL_RE.match(paragraph.strip())
    if not match:
        return None
    url = match.group(1)
    host = (urlsplit(url).hostname or "").lower()
    if not any(host == known or host.endswith("." + known) for known in VIDEO_HOSTS):
        return None
    return url, host.removeprefix("www.").removeprefix("m.")


InlineRule = Callable[[StateInline, bool], bool]


def _remember_position(rule: InlineRule) -> InlineRule:
    """Wrap an inline rule so the token it creates records where it started in the source.

    markdown-it only maps block tokens to lines; this lets `extract_links` point at the
    exact line of a link inside a multi-line paragraph.
    """

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent:
            for token in state.tokens[count:]:
                if token.type in ("link_open", "image"):
                    token.meta["pos"] = start
                    break
        return True

    return wrapped


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("js-default").enable("table")
    md.inline.ruler.at("link", _remember_position(link))
    md.inline.ruler.at("image", _remember_position(image))
    return md


_md = _build_parser()


def _inline_tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            yield token


def extract_links(text: str) -> list[tuple[LinkKind, str, int]]:
    """Every image and link in `text` as (kind, percent-decoded target, 1-based line)."""
    found: list[tuple[LinkKind, str, int]] = []
    for block in _inline_tokens(_md.parse(text)):
        first_line = block.map[0] + 1 if block.map else 1
        for child in block.children or []:
            if child.type == "image":
                kind: LinkKind = "image"
                target = str(child.attrs.get("src", ""))
            elif child.type == "link_open":
                kind = "link"
                target = str(child.attrs.get("href", ""))
            else:
                continue
            line = first_line + block.content.count("\n", 0, child.meta.get("pos", 0))
            found.append((kind, unquote(target), line))
    return found


@dataclass(frozen=True)
class _Urls:
    asset_url: Callable[[str], str]
    module_url: Callable[[str], str | None]


def render_markdown(
    text: str,
    *,
    asset_url: Callable[[str], str],
    module_url: Callable[[str], str | None],
) -> str:
    """Render a module body to safe HTML.

    `asset_url` gets a course-relative path (`assets/x.svg`); `module_url` gets a module
    slug and returns None when there is no such module, in which case the link text stays
    but the link is dropped.
    """
    urls = _Urls(asset_url, module_url)
    tokens = _md.parse(text)
    _add_heading_ids(tokens)
    for block in _inline_tokens(tokens):
        video = video_link(block.content)
        if video is not None:
            block.children = _video_card(*video)
        else:
            block.children = _rewrite_inline(block.children or [], urls)
    return _md.renderer.render(tokens, _md.options, {})


def _add_heading_ids(tokens: list[Token]) -> None:
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or index + 1 >= len(tokens):
            continue
        words = "".join(
            child.content
            for child in tokens[index + 1].children or []
            if child.type in ("text", "code_inline")
        )
        base = candidate = heading_id(words)
        number = 1
        while candidate in used:
            number += 1
            candidate = f"{base}-{number}"
        used.add(candidate)
        token.attrSet("id", candidate)


def _video_card(url: str, host: str) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrs = {
        "class": "video-card",
        "href": _md.normalizeLink(url),
        "rel": EXTERNAL_REL,
    }
    label = Token("text", "", 0, content=f"▶ Tonton video: {host}")
    return [opening, label, Token("link_close", "a", -1)]


def _rewrite_inline(children: list[Token], urls: _Urls) -> list[Token]:
    out: list[Token] = []
    dropping_link = False
    for token in children:
        if token.type == "image":
            out.append(_rewrite_image(token, urls))
        elif token.type == "link_open":
            dropping_link = not _rewrite_link(token, urls)
            if not dropping_link:
                out.append(token)
        elif token.type == "link_close":
            if not dropping_link:
                out.append(token)
            dropping_link = False
        else:
            out.append(token)
    return out


def _rewrite_image(token: Token, urls: _Urls) -> Token:
    """Point the image at the course asset, or replace it by its alt text if it cannot be."""
    target = resolve_target(unquote(str(token.attrs.get("src", ""))))
    if target.kind in ("external", "data"):
        return token
    if target.kind in ("asset", "module"):
        token.attrSet("src", _md.normalizeLink(urls.asset_url(target.path)))
        return token
    return Token("text", "", 0, content=token.content)


def _rewrite_link(token: Token, urls: _Urls) -> bool:
    """Rewrite a link_open in place; False means drop the link and keep its text."""
    target = resolve_target(unquote(str(token.attrs.get("href", ""))))
    fragment = f"#{quote(target.fragment)}" if target.fragment else ""
    if target.kind == "anchor":
        return True
    if target.kind == "external":
        token.attrSet("rel", EXTERNAL_REL)
        return True
    if target.kind == "asset":
        token.attrSet("href", _md.normalizeLink(urls.asset_url(target.path) + fragment))
        return True
    if target.kind == "module" and target.module is not None:
        url = urls.module_url(target.module)
        if url is not None:
            token.attrSet("href", _md.normalizeLink(url + fragment))
            return True
    return False

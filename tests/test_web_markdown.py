"""Quiz text and feedback go through the same safe Markdown as course modules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.web import markdown_html, markdown_inline


def test_script_and_javascript_links_are_inert():
    html = markdown_html(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=y>"
    )
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<img src=x" not in html
    assert "<b>" not in markdown_inline("<b>tebal</b> **tebal**")
    assert "<strong>tebal</strong>" in markdown_inline("**tebal**")


@given(st.text(max_size=200))
def test_never_emits_script(text):
    out = markdown_html(text) + markdown_inline(text)
    assert "<script" not in out.lower()
    assert 'href="javascript:' not in out.lower()

"""Module Markdown: safe rendering, URL rewriting, video cards, link extraction."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.courses.markdown import extract_links, heading_id, render_markdown, resolve_target

MODULES = {"modul-dua": "/kursus/contoh/modul-dua"}


def render(text: str) -> str:
    return render_markdown(
        text,
        asset_url=lambda path: f"/kursus/contoh/aset/{path}",
        module_url=MODULES.get,
    )


class _Attributes(HTMLParser):
    """Collects (tag, attribute, value) of every start tag."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs]


def attributes(html: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(html)
    parser.close()
    return parser.found


def urls(html: str) -> list[str]:
    return [value for _, name, value in attributes(html) if name in ("href", "src")]


# --- raw HTML and dangerous URLs -----------------------------------------------------------


def test_script_tag_is_escaped():
    html = render("Halo <script>alert(1)</script>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_img_onerror_is_escaped():
    html = render('<img src=x onerror="alert(1)">\n\nteks <img src=x onerror=alert(1)>')
    assert "<img" not in html
    assert attributes(html) == []


@pytest.mark.parametrize(
    "source",
    [
        "[klik](javascript:alert(1))",
        "[klik](JaVaScRiPt:alert(1))",
        "[klik]( javascript:alert(1) )",
        "[klik](java&#115;cript:alert(1))",
        "[klik](vbscript:msgbox(1))",
        "[klik](data:text/html;base64,PHNjcmlwdD4=)",
        "[klik](data:image/png;base64,AAAA)",
        "[klik](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[klik][x]\n\n[x]: javascript:alert(1)",
        "![gambar](javascript:alert(1))",
    ],
)
def test_dangerous_links_are_not_linked(source: str):
    html = render(source)
    for url in urls(html):
        assert not url.strip().lower().startswith(("javascript:", "vbscript:", "file:"))
        assert not url.lower().startswith("data:") or url.startswith("data:image/")
    assert "<a " not in html


def test_safe_data_image_is_kept():
    html = render("![titik](data:image/png;base64,AAAA)")
    assert '<img src="data:image/png;base64,AAAA" alt="titik">' in html


def test_unknown_scheme_link_is_dropped_but_text_kept():
    html = render("[berkas](ftp://example.org/a) dan [telepon](tel:+62211234)")
    assert 'href="ftp:' not in html
    assert "berkas" in html
    assert '<a href="tel:+62211234" rel="noopener noreferrer">telepon</a>' in html


# --- rewriting -----------------------------------------------------------------------------


def test_tables_render():
    html = render("| JP | Menit |\n|---|---|\n| 1 | 45 |\n")
    assert "<table>" in html
    assert "<th>JP</th>" in html
    assert "<td>45</td>" in html


@pytest.mark.parametrize(
    ("source", "src"),
    [
        ("![d](assets/diagram.svg)", "/kursus/contoh/aset/assets/diagram.svg"),
        ("![d](./assets/diagram.svg)", "/kursus/contoh/aset/assets/diagram.svg"),
        ("![d](assets/peta%20kota.png)", "/kursus/contoh/aset/assets/peta%20kota.png"),
        ("![d](<assets/peta kota.png>)", "/kursus/contoh/aset/assets/peta%20kota.png"),
    ],
)
def test_images_are_rewritten_through_asset_url(source: str, src: str):
    assert urls(render(source)) == [src]


def test_image_outside_the_course_becomes_its_alt_text():
    html = render("![rahasia](../../etc/passwd.png) ![akar](/etc/a.png)")
    assert "<img" not in html
    assert "rahasia" in html and "akar" in html


def test_external_image_is_kept():
    assert urls(render("![logo](https://example.org/logo.png)")) == ["https://example.org/logo.png"]


def test_module_links_are_rewritten_through_module_url():
    html = render("[lanjut](modul-dua.md) dan [bagian](modul-dua.md#tujuan)")
    assert urls(html) == ["/kursus/contoh/modul-dua", "/kursus/contoh/modul-dua#tujuan"]


def test_link_to_unknown_module_keeps_only_the_text():
    html = render("Lihat [modul lama](modul-lama.md) ya.")
    assert html == "<p>Lihat modul lama ya.</p>\n"


def test_asset_links_are_rewritten():
    assert urls(render("[unduh](assets/panduan.pdf)")) == ["/kursus/contoh/aset/assets/panduan.pdf"]


def test_external_links_get_rel_noopener():
    html = render("[BSSN](https://bssn.go.id) <https://example.org>")
    links = [(name, value) for tag, name, value in attributes(html) if tag == "a"]
    assert links == [
        ("href", "https://bssn.go.id"),
        ("rel", "noopener noreferrer"),
        ("href", "https://example.org"),
        ("rel", "noopener noreferrer"),
    ]


def test_anchor_links_are_untouched():
    assert '<a href="#tujuan">ke tujuan</a>' in render("[ke tujuan](#tujuan)")


# --- video ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtu.be"),
        ("https://vimeo.com/76979871", "vimeo.com"),
        ("https://m.youtube.com/watch?v=abc", "youtube.com"),
        ("<https://youtu.be/abc>", "youtu.be"),
    ],
)
def test_bare_video_url_becomes_a_link_card(url: str, host: str):
    html = render(f"Tonton ini:\n\n{url}\n\nLalu lanjutkan.")
    href = url.strip("<>")
    assert (
        f'<p><a class="video-card" href="{href}" rel="noopener noreferrer">'
        f"▶ Tonton video: {host}</a></p>"
    ) in html
    assert "<iframe" not in html


def test_video_card_escapes_the_url():
    html = render("https://www.youtube.com/watch?v=abc&t=10")
    assert 'href="https://www.youtube.com/watch?v=abc&amp;t=10"' in html


@pytest.mark.parametrize(
    "source",
    [
        "Lihat https://youtu.be/abc di rumah.",
        "https://example.org/video",
        "https://youtube.com.evil.example/watch?v=1",
        "[video pengantar](https://youtu.be/abc)",
    ],
)
def test_other_paragraphs_are_not_video_cards(source: str):
    assert "video-card" not in render(source)


def test_video_url_in_a_tight_list_item_becomes_a_card():
    html = render("- https://youtu.be/abc\n- teks")
    assert '<li><a class="video-card" href="https://youtu.be/abc"' in html


# --- headings ------------------------------------------------------------------------------


def test_headings_get_unique_ids():
    html = render("# Tujuan Pembelajaran\n\n## Tujuan pembelajaran\n\n## Ringkasan `kode`\n")
    assert '<h1 id="tujuan-pembelajaran">' in html
    assert '<h2 id="tujuan-pembelajaran-2">' in html
    assert '<h2 id="ringkasan-kode">' in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kebijakan SPBE 2025", "kebijakan-spbe-2025"),
        ("Éducation à distance", "education-a-distance"),
        ("???", "bagian"),
    ],
)
def test_heading_id(text: str, expected: str):
    assert heading_id(text) == expected


def test_rendering_is_deterministic():
    text = "# A\n\n# A\n\n![x](assets/x.png) [m](modul-dua.md)\n\nhttps://youtu.be/x\n"
    assert render(text) == render(text)


# --- link extraction -----------------------------------------------------------------------


def test_extract_links_points_at_the_exact_line():
    text = (
        "# Judul [a](a.md)\n"  # 1
        "\n"
        "Baris pertama paragraf\n"  # 3
        "lalu ![gambar](assets/x.png) di baris empat\n"  # 4
        "dan [b](b.md) di baris lima.\n"  # 5
        "\n"
        "| k | v |\n"  # 7
        "|---|---|\n"
        "| 1 | [c](c.md) |\n"  # 9
        "\n"
        "> kutipan\n"  # 11
        "> dengan [d](d%20e.md)\n"  # 12
        "\n"
        "- butir\n"  # 14
        "  lanjutan ![f](assets/f.png)\n"  # 15
        "\n"
        "[rujukan][r] di baris tujuh belas\n"  # 17
        "\n"
        "[r]: g.md\n"
        "\n"
        "    [kode](bukan-tautan.md)\n"
        "\n"
        "Teks `[kode](juga-bukan.md)` dan [javascript](javascript:alert(1)).\n"
    )
    assert extract_links(text) == [
        ("link", "a.md", 1),
        ("image", "assets/x.png", 4),
        ("link", "b.md", 5),
        ("link", "c.md", 9),
        ("link", "d e.md", 12),
        ("image", "assets/f.png", 15),
        ("link", "g.md", 17),
    ]


def test_extract_links_counts_lines_after_a_multiline_link_text():
    text = "Awal [teks\nyang panjang](a.md) lalu\n![gambar](assets/b.png)\n"
    assert extract_links(text) == [("link", "a.md", 1), ("image", "assets/b.png", 3)]


@pytest.mark.parametrize(
    ("target", "kind", "path", "module"),
    [
        ("#tujuan", "anchor", "", None),
        ("https://bssn.go.id", "external", "", None),
        ("//cdn.example.org/a.png", "external", "", None),
        ("mailto:admin@example.go.id", "external", "", None),
        ("javascript:alert(1)", "unsupported", "", None),
        ("data:image/png;base64,AA", "data", "", None),
        ("modul-dua.md", "module", "modul-dua.md", "modul-dua"),
        ("./modul-dua.md#tujuan", "module", "modul-dua.md", "modul-dua"),
        ("modules/modul-dua.md", "module", "modules/modul-dua.md", None),
        ("assets/../assets/a.png", "asset", "assets/a.png", None),
        ("../luar.png", "outside", "../luar.png", None),
        ("/etc/passwd", "outside", "/etc/passwd", None),
    ],
)
def test_resolve_target(target: str, kind: str, path: str, module: str | None):
    resolved = resolve_target(target)
    assert (resolved.kind, resolved.path, resolved.module) == (kind, path, module)


# --- property: nothing dangerous ever comes out --------------------------------------------

_FRAGMENTS = [
    "<script>",
    "</script>",
    "<SCRIPT src=x>",
    "<img src=x onerror=alert(1)>",
    "javascript:",
    "JavaScript:",
    "java\tscript:",
    "jav&#x61;script:",
    "vbscript:",
    "data:text/html,",
    "data:image/png;",
    "[",
    "]",
    "(",
    ")",
    "![",
    "](",
    "<",
    ">",
    "\n",
    "\n\n",
    " ",
    "`",
    "&",
    "#",
    ":",
    "alert(1)",
    "assets/a.png",
    "x.md",
    "https://youtu.be/a",
    "| a |",
    "|---|",
    "> ",
    "- ",
    "    ",
    '"',
    "'",
    "\\",
    "%6A",
    "[r]: ",
    "*",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)
)
def test_render_never_emits_script_or_javascript_urls(text: str):
    html = render(text)
    assert "<script" not in html.lower()
    for url in urls(html):
        lowered = "".join(url.split()).lower()
        assert not lowered.startswith(("javascript:", "vbscript:"))
        assert not lowered.startswith("data:") or lowered.startswith("data:image/")

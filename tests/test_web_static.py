"""Static files: a favicon on every page, and caching that revalidates (pilot finding 14)."""

from __future__ import annotations


def test_favicon_and_static_caching(client):
    page = client.get("/masuk").text
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    css = client.get("/static/app.css")
    assert css.headers["cache-control"] == "public, max-age=3600"
    assert "etag" in css.headers
    again = client.get("/static/app.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304


def test_people_managers_find_people_and_import_in_the_menu(make_client, people):
    import re

    from tests.conftest import NIPS

    for who, expected in (("olga", True), ("adi", True), ("kiki", False), ("alice", False)):
        c = make_client()
        c.login(NIPS[who])
        nav = re.search(r'<nav aria-label="Menu utama">(.*?)</nav>', c.get("/").text, re.S)
        links = nav.group(1)
        assert ('href="/admin/pengguna"' in links and 'href="/admin/impor"' in links) is expected


def test_static_files_are_compressed_but_pages_are_not(client):
    """Static text shrinks for clients that accept gzip; HTML pages (which carry the CSRF
    token) stay uncompressed so their length cannot leak it (BREACH)."""
    js = client.get("/static/vendor/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert js.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in js.headers["vary"].lower()
    assert int(js.headers["content-length"]) < 52182 // 2
    assert js.text.startswith("var htmx") or "htmx" in js.text[:200]  # decoded intact
    assert js.headers["cache-control"] == "public, max-age=3600"
    plain = client.get("/static/app.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    page = client.get("/masuk", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and "content-encoding" not in page.headers

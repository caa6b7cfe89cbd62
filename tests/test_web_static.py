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

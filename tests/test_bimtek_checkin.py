"""Rotating check-in codes: pure functions, a controllable clock, no database."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from app.bimtek import checkin
from app.bimtek.checkin import CodeCheck

KEY = checkin.derive_key(b"test-secret-" + b"x" * 40)
# The start of a 45-second window, so "+44 s" stays inside it.
T0 = datetime.fromtimestamp(checkin.WINDOW_SECONDS * 40_000_000, tz=UTC)


def test_code_shape_and_alphabet():
    code = checkin.current_code(KEY, 7, 11, T0)
    assert len(code) == checkin.CODE_LENGTH == 6
    assert set(checkin.ALPHABET) == set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert not set("ILOU") & set(checkin.ALPHABET)
    # many windows: every character comes from the unambiguous alphabet
    codes = {checkin.code_for(KEY, 7, 11, w) for w in range(2000)}
    assert len(codes) > 1990  # 30 bits: practically no repeats
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{6}", c) for c in codes)


def test_code_is_stable_within_a_window_and_rotates_after():
    code = checkin.current_code(KEY, 7, 11, T0)
    assert checkin.current_code(KEY, 7, 11, T0 + timedelta(seconds=44)) == code
    assert checkin.current_code(KEY, 7, 11, T0 + timedelta(seconds=45)) != code
    assert checkin.seconds_left(T0) == 45
    assert checkin.seconds_left(T0 + timedelta(seconds=44)) == 1


def test_current_and_previous_window_accepted_older_rejected():
    code = checkin.current_code(KEY, 7, 11, T0)
    assert checkin.check_code(KEY, 7, 11, code, T0) == CodeCheck.ok
    assert checkin.check_code(KEY, 7, 11, code, T0 + timedelta(seconds=44)) == CodeCheck.ok
    # the next window: still accepted (the screen may have just changed)
    assert checkin.check_code(KEY, 7, 11, code, T0 + timedelta(seconds=45)) == CodeCheck.ok
    assert checkin.check_code(KEY, 7, 11, code, T0 + timedelta(seconds=89)) == CodeCheck.ok
    # two windows later: expired, and said so
    assert checkin.check_code(KEY, 7, 11, code, T0 + timedelta(seconds=90)) == CodeCheck.expired
    assert checkin.check_code(KEY, 7, 11, code, T0 + timedelta(hours=3)) == CodeCheck.expired
    # a code from the future (next window) is not accepted
    future = checkin.current_code(KEY, 7, 11, T0 + timedelta(seconds=45))
    assert checkin.check_code(KEY, 7, 11, future, T0) == CodeCheck.invalid


def test_other_day_session_or_key_rejected():
    code = checkin.current_code(KEY, 7, 11, T0)
    assert checkin.check_code(KEY, 7, 12, code, T0) == CodeCheck.invalid  # another day
    assert checkin.check_code(KEY, 8, 11, code, T0) == CodeCheck.invalid  # another session
    other_key = checkin.derive_key(b"another-instance-secret-" + b"y" * 20)
    assert checkin.check_code(other_key, 7, 11, code, T0) == CodeCheck.invalid


def test_forged_and_malformed_codes_rejected():
    code = checkin.current_code(KEY, 7, 11, T0)
    forged = ("0" if code[0] != "0" else "1") + code[1:]
    for bad in [forged, "", "ABC", code + "0", "ÄÖÜ123", None, 123456, "UUUUUU", " " * 6]:
        assert checkin.check_code(KEY, 7, 11, bad, T0) == CodeCheck.invalid


def test_typing_is_forgiving():
    code = checkin.current_code(KEY, 7, 11, T0)
    spaced = f" {code[:3].lower()}-{code[3:].lower()} "
    assert checkin.check_code(KEY, 7, 11, spaced, T0) == CodeCheck.ok
    assert checkin.normalize("o1l-iab") == "011-1AB".replace("-", "")
    assert checkin.normalize("OIL0AB") == "0110AB"


def test_derived_key_differs_from_the_secret():
    secret = b"test-secret-" + b"x" * 40
    assert checkin.derive_key(secret) != secret
    assert len(checkin.derive_key(secret)) == 32


def test_checkin_url_and_qr():
    code = checkin.current_code(KEY, 7, 11, T0)
    url = checkin.checkin_url("https://cakap.example.go.id/", 7, 11, code)
    parts = urlsplit(url)
    assert parts.path == "/bimtek/absen"
    assert parse_qs(parts.query) == {"sesi": ["7"], "hari": ["11"], "kode": [code]}
    svg = checkin.qr_svg(url, title="Kode QR")
    assert svg.startswith("<svg") and "viewBox" in svg and "<title>Kode QR</title>" in svg
    # nothing the strict CSP would block
    assert "style=" not in svg and "<script" not in svg


def test_qr_encodes_the_url():
    code = checkin.current_code(KEY, 7, 11, T0)
    url = checkin.checkin_url("http://127.0.0.1:8000", 7, 11, code)
    png = io.BytesIO()
    checkin.qr_code(url).save(png, kind="png", scale=6, border=4)
    png.seek(0)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [url]


@given(
    code=st.one_of(st.none(), st.text(max_size=40), st.binary(max_size=10), st.integers()),
    session_id=st.integers(min_value=-(2**40), max_value=2**40),
    day_id=st.integers(min_value=-(2**40), max_value=2**40),
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
)
def test_validation_never_raises(code, session_id, day_id, seconds):
    now = datetime.fromtimestamp(seconds, tz=UTC)
    result = checkin.check_code(KEY, session_id, day_id, code, now)
    assert result in (CodeCheck.ok, CodeCheck.expired, CodeCheck.invalid)


@given(st.text(alphabet=checkin.ALPHABET, min_size=6, max_size=6))
def test_random_well_formed_codes_are_rejected(code):
    # 2 of 2**30 codes are valid at any moment; a random guess essentially never is.
    real = {checkin.code_for(KEY, 7, 11, w) for w in (39_999_999, 40_000_000)}
    if code not in real:
        assert checkin.check_code(KEY, 7, 11, code, T0) != CodeCheck.ok

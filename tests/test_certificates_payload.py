import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from app.certificates.payload import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CertificateData,
    format_code,
    is_valid_code,
    new_code,
    normalize_code,
    qr_url,
)
from app.certificates.signing import SigningKey, key_id, sign
from app.users.nip import mask_nip

WIB = timezone(timedelta(hours=7))


def make_certificate(**changes) -> CertificateData:
    """A realistic certificate; other certificate tests import this."""
    data = CertificateData(
        serial="CKP/2026/000123",
        code="7K3MQ9XW2HDR5TPV",
        holder_name="Siti Nurhaliza",
        holder_nip="199001012015012001",
        course_title="Pengelolaan Arsip Dinamis Berbasis Elektronik",
        course_slug="arsip-dinamis",
        content_hash="sha256:4f1c2a9e0b7d",
        jp=12,
        jp_category="Kompetensi Teknis",
        completed_on=date(2026, 11, 23),
        score=87.5,
        issued_at=datetime(2026, 11, 23, 8, 15, 0, tzinfo=UTC),
        issuer_city="Pemerintah Kota Bandar Lampung",
        issuer_office="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        signer_name="Dr. Rina Kusumawati, M.Si.",
        signer_nip="197501012000032001",
        signer_title="Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
    )
    return replace(data, **changes)


def fixed_key() -> SigningKey:
    private_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return SigningKey(kid=key_id(private_key.public_key()), private_key=private_key)


# --- NIP masking ---------------------------------------------------------------------


def test_mask_nip_shows_first_and_last_four_digits():
    assert mask_nip("199001012015012001") == "1990xxxxxxxxxx2001"


def test_mask_nip_ignores_spaces_people_type():
    assert mask_nip("19900101 201501 2 001") == "1990xxxxxxxxxx2001"


@pytest.mark.parametrize("nip", ["", "1234", "12345678"])
def test_mask_nip_hides_short_values_entirely(nip):
    assert mask_nip(nip) == "x" * len(nip)


# --- verification codes --------------------------------------------------------------


def test_code_space_has_at_least_80_bits_by_construction():
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 32
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 80


def test_new_code_uses_the_alphabet_and_does_not_repeat():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == CODE_LENGTH and is_valid_code(code) for code in codes)
    # Every symbol turns up across 32,000 draws: the whole alphabet really is used.
    assert set("".join(codes)) == set(CODE_ALPHABET)


def test_code_alphabet_has_no_lookalikes():
    assert not set("ILOU") & set(CODE_ALPHABET)


@given(st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_normalize_code_undoes_formatting_and_lowercase(code):
    assert normalize_code(format_code(code)) == code
    assert normalize_code(format_code(code).lower()) == code
    assert normalize_code(" " + " ".join(code) + "\t") == code


def test_normalize_code_maps_lookalike_letters():
    assert normalize_code("ilo0-1abc de-f") == "1100" + "1ABCDEF"
    assert normalize_code("7k3m-q9xw-2hdr-5tpv") == "7K3MQ9XW2HDR5TPV"


def test_format_code_groups_by_four():
    assert format_code("7K3MQ9XW2HDR5TPV") == "7K3M-Q9XW-2HDR-5TPV"


@pytest.mark.parametrize("text", ["", "7K3MQ9XW2HDR5TP", "7K3MQ9XW2HDR5TPVX", "7K3MQ9XW2HDR5TPU"])
def test_is_valid_code_rejects_wrong_shapes(text):
    assert not is_valid_code(text)


# --- QR URL --------------------------------------------------------------------------


def test_qr_url_format_and_size():
    base_url = "https://cakap.bandarlampungkota.go.id/id"
    assert len(base_url) == 40
    data = make_certificate()
    key = fixed_key()
    signature = sign(data.to_payload(), key)

    url = qr_url(base_url, data.code, key.kid, signature)

    assert len(url.encode("utf-8")) < 300
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{base_url}/verifikasi/{data.code}"
    assert parse_qs(parts.query) == {"k": [key.kid], "s": [signature]}


def test_qr_url_tolerates_trailing_slash():
    assert qr_url("https://cakap.example/", "ABC", "k1", "s1") == (
        "https://cakap.example/verifikasi/ABC?k=k1&s=s1"
    )


# --- payload -------------------------------------------------------------------------


def _scalars(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    else:
        yield value


def test_payload_round_trips_through_json():
    data = make_certificate()
    payload = json.loads(json.dumps(data.to_payload()))
    assert CertificateData.from_payload(payload) == data


@pytest.mark.parametrize(
    "changes",
    [{}, {"score": None}, {"holder_nip": None, "jp_category": None}, {"score": 100.0, "jp": 0}],
)
def test_payload_holds_no_floats(changes):
    payload = make_certificate(**changes).to_payload()
    assert all(value is None or type(value) in (str, int) for value in _scalars(payload))
    assert CertificateData.from_payload(payload) == make_certificate(**changes)


def test_payload_spells_dates_and_score_as_strings():
    payload = make_certificate().to_payload()
    assert payload["v"] == 1
    assert payload["completed_on"] == "2026-11-23"
    assert payload["issued_at"] == "2026-11-23T08:15:00Z"
    assert payload["score"] == "87.50"
    assert payload["jp"] == 12


def test_issued_at_is_normalised_to_utc_seconds():
    data = make_certificate(issued_at=datetime(2026, 11, 23, 15, 15, 0, 999_999, tzinfo=WIB))
    assert data.issued_at == datetime(2026, 11, 23, 8, 15, 0, tzinfo=UTC)
    assert data.to_payload()["issued_at"] == "2026-11-23T08:15:00Z"


def test_score_is_rounded_half_up_to_two_decimals():
    assert make_certificate(score=87.125).score == 87.13
    assert make_certificate(score=87.125).to_payload()["score"] == "87.13"
    assert make_certificate(score=66.666666).to_payload()["score"] == "66.67"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_at": datetime(2026, 11, 23, 8, 15)}, "timezone-aware"),
        ({"jp": -1}, "jp"),
        ({"jp": True}, "jp"),
        ({"score": float("nan")}, "finite"),
    ],
)
def test_invalid_certificate_data_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        make_certificate(**changes)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: {**p, "v": 2},
        lambda p: {k: v for k, v in p.items() if k != "v"},
        lambda p: {k: v for k, v in p.items() if k != "serial"},
        lambda p: {**p, "unexpected": "x"},
        lambda p: {**p, "jp": "12"},
        lambda p: {**p, "score": 87.5},
        lambda p: {**p, "score": "87.5"},
        lambda p: {**p, "holder_name": None},
        lambda p: {**p, "issued_at": "2026-11-23T08:15:00+07:00"},
        lambda p: {**p, "completed_on": "23-11-2026"},
    ],
)
def test_from_payload_refuses_what_to_payload_never_writes(mangle):
    with pytest.raises(ValueError):
        CertificateData.from_payload(mangle(make_certificate().to_payload()))

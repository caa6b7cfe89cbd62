"""NIP and NIK validation: a table of valid and invalid cases with their reasons."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.users.nip import (
    InvalidNip,
    looks_like_nip,
    nik_problem,
    nip_problem,
    normalize_nip,
    parse_nip,
)

VALID = [
    "199001012015012001",
    "19900101 201501 2 001",
    "1990.01.01.2015.01.2.001",
    "197512312000121999",
    "199009132025212014",  # NI PPPK (code 21)
    "199009132025242014",  # NI PPPK paruh waktu (code 24)
]
INVALID = [
    ("19900101201501200", "18 digit"),
    ("1990010120150120011", "18 digit"),
    ("19900101201501200A", "hanya boleh berisi angka"),
    ("", "hanya boleh berisi angka"),
    ("199002302015012001", "tanggal lahir"),  # 30 February
    ("199013012015012001", "tanggal lahir"),
    ("192001012015012001", "tahun lahir"),
    ("199001012015132001", "bulan TMT"),
    ("199001011985012001", "setelah tanggal lahir"),
    ("199001012000012001", "terlalu dekat"),
    ("199001012015013001", "jenis kelamin"),
    ("199001012015012000", "000"),
    ("١٩٩٠٠١٠١٢٠١٥٠١٢٠٠١", "hanya boleh berisi angka"),
    ("199001012015192001", "bulan TMT"),
]


@pytest.mark.parametrize("nip", VALID)
def test_valid_nips(nip):
    assert nip_problem(nip) is None


@pytest.mark.parametrize(("nip", "reason"), INVALID)
def test_invalid_nips_say_why(nip, reason):
    problem = nip_problem(nip)
    assert problem is not None and reason in problem


def test_parse_fields():
    info = parse_nip("199001012015012001")
    assert info.birth_date == date(1990, 1, 1)
    assert (info.tmt_year, info.tmt_month, info.gender, info.sequence) == (2015, 1, 2, 1)


def test_pppk_number_is_flagged():
    info = parse_nip("199009132025242014")
    assert info.pppk and info.tmt_month is None and info.tmt_year == 2025


def test_looks_like_nip():
    assert looks_like_nip("19900101 201501 2 001")
    assert not looks_like_nip("alice@uji.go.id")


@pytest.mark.parametrize(
    ("nik", "ok"),
    [
        ("1871014501900001", True),
        ("1871010501900001", True),
        ("1871019901900001", False),
        ("187101450190000", False),
        ("18710145019000AB", False),
    ],
)
def test_nik(nik, ok):
    assert (nik_problem(nik) is None) is ok


@given(st.text(max_size=40))
def test_nip_validation_never_crashes(text):
    problem = nip_problem(text)
    if problem is None:
        assert len(normalize_nip(text)) == 18
        parse_nip(text)
    else:
        with pytest.raises(InvalidNip):
            parse_nip(text)


def test_importer_derives_pppk_from_the_number():
    from app.users.importer import validate_rows

    rows, problems = validate_rows(
        [(2, {"nip": "199009132025242014", "full_name": "Rina", "opd_code": "DINKES"})],
        today=date(2026, 11, 23),
    )
    assert not [p for p in problems if p.level == "error"]
    assert rows[0].status == "PPPK"

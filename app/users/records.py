"""ASN record fields as BKPSDM spreadsheets write them — status, golongan, TMT; pure.

Each function reads one cell's text into the canonical value, or None when it cannot;
the importer turns a None into a row problem that says how to write it.
"""

from __future__ import annotations

import re
from datetime import date

from app.users.models import EmploymentStatus

STATUS_ALIASES: dict[str, EmploymentStatus] = {
    "cpns": EmploymentStatus.CPNS,
    "calon pns": EmploymentStatus.CPNS,
    "pns": EmploymentStatus.PNS,
    "pppk": EmploymentStatus.PPPK,
    "p3k": EmploymentStatus.PPPK,
    "pppk paruh waktu": EmploymentStatus.PPPK,
    "honorer": EmploymentStatus.NON_ASN,
    "non asn": EmploymentStatus.NON_ASN,
    "nonasn": EmploymentStatus.NON_ASN,
}


def normalize_status(raw: str) -> EmploymentStatus | None:
    """The status named by a cell ("p3k", "Non-ASN", "PNS"), or None if not recognised."""
    key = " ".join(re.sub(r"[^0-9a-z]+", " ", raw.casefold()).split())
    return STATUS_ALIASES.get(key)


# PNS golongan I–IV with ruang a–d (IV also has e), written "III/a", "iii-a", "3a" or
# inside a pangkat ("Penata Muda, III/a"). The look-arounds stop "II/b" matching in "III/b".
_PNS_GOLONGAN = re.compile(r"(?<![a-z])(iv|iii|ii|i|[1-4])\s*[/.-]?\s*([a-e])(?![a-z])", re.I)
_ROMAN_BY_DIGIT = {"1": "I", "2": "II", "3": "III", "4": "IV"}
# PPPK golongan run from I to XVII and have no ruang.
PPPK_GOLONGAN = (
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX",
    "X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII",
)  # fmt: skip


def normalize_golongan(raw: str, status: EmploymentStatus) -> str | None:
    """The canonical golongan ("III/a" for CPNS/PNS, "IX" for PPPK), or None if invalid."""
    if status is EmploymentStatus.PPPK:
        token = re.sub(r"^gol(?:ongan)?\b|[^0-9a-z]", "", raw.casefold()).upper()
        if token.isdigit() and 1 <= int(token) <= len(PPPK_GOLONGAN):
            return PPPK_GOLONGAN[int(token) - 1]
        return token if token in PPPK_GOLONGAN else None
    match = _PNS_GOLONGAN.search(raw)
    if match is None:
        return None
    number, ruang = match.group(1).upper(), match.group(2).lower()
    roman = _ROMAN_BY_DIGIT.get(number, number)
    if ruang == "e" and roman != "IV":
        return None  # ruang e exists only in golongan IV
    return f"{roman}/{ruang}"


MONTHS: dict[str, int] = {
    **dict.fromkeys(("januari", "january", "jan"), 1),
    **dict.fromkeys(("februari", "pebruari", "february", "feb", "peb"), 2),
    **dict.fromkeys(("maret", "march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mei", "may"), 5),
    **dict.fromkeys(("juni", "june", "jun"), 6),
    **dict.fromkeys(("juli", "july", "jul"), 7),
    **dict.fromkeys(("agustus", "august", "agu", "agt", "ags", "aug"), 8),
    **dict.fromkeys(("september", "sept", "sep"), 9),
    **dict.fromkeys(("oktober", "october", "okt", "oct"), 10),
    **dict.fromkeys(("november", "nopember", "nov", "nop"), 11),
    **dict.fromkeys(("desember", "december", "des", "dec"), 12),
}
# Excel exports midnight datetimes with a time part; it carries nothing for a TMT.
_ISO_DATE = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
# Indonesian order only: 03/04/2025 is 3 April, as the Indonesian Excel locale writes it.
_DMY_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_NAMED_DATE = re.compile(r"(\d{1,2})[\s./-]*([a-z]+)\.?[\s./-]*(\d{4})")
EARLIEST_TMT_YEAR = 1950


def parse_tmt(raw: str) -> date | None:
    """A date written as 2025-01-31, 31-01-2025, 31/01/2025 or 1 Januari 2025; else None."""
    text = raw.strip().casefold()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DMY_DATE.fullmatch(text):
        day, month, year = match.groups()
    elif (match := _NAMED_DATE.fullmatch(text)) and match.group(2) in MONTHS:
        day, year = match.group(1), match.group(3)
        month = str(MONTHS[match.group(2)])
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None

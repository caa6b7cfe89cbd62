"""NIP (Nomor Induk Pegawai) and NIK validation — pure functions.

An 18-digit NIP is YYYYMMDD (birth date) + YYYYMM (TMT, first appointment) + G (gender,
1 or 2) + NNN (sequence number). A PPPK's NI PPPK has the same shape, but digits 13–14
carry a PPPK code (21 full-time, 24 part-time "paruh waktu"; 21–24 accepted) instead of
the TMT month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: "١٩٩٠…" must not make a second key
PPPK_CODES = range(21, 25)


@dataclass(frozen=True)
class NipInfo:
    birth_date: date
    tmt_year: int
    tmt_month: int | None  # None for a PPPK number
    gender: int  # 1 = laki-laki, 2 = perempuan
    sequence: int
    pppk: bool = False


class InvalidNip(ValueError):
    pass


def normalize_nip(raw: str) -> str:
    """Strip the spaces and dots people type into NIPs ("19900101 201501 1 001")."""
    return re.sub(r"[\s.\-]", "", raw or "")


def parse_nip(raw: str) -> NipInfo:
    nip = normalize_nip(raw)
    if not _DIGITS.fullmatch(nip or "x"):
        raise InvalidNip("NIP hanya boleh berisi angka")
    if len(nip) != 18:
        raise InvalidNip(f"NIP harus 18 digit (tertulis {len(nip)} digit)")
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError as exc:
        raise InvalidNip("digit 1–8 NIP bukan tanggal lahir yang valid") from exc
    if birth.year < 1930:
        raise InvalidNip("tahun lahir pada NIP tidak masuk akal")
    tmt_year, tmt_month = int(nip[8:12]), int(nip[12:14])
    pppk = tmt_month in PPPK_CODES
    if not (1 <= tmt_month <= 12 or pppk):
        raise InvalidNip("digit 9–14 NIP bukan bulan TMT yang valid")
    if (tmt_year, 1 if pppk else tmt_month) <= (birth.year, birth.month):
        raise InvalidNip("TMT pada NIP harus setelah tanggal lahir")
    if tmt_year - birth.year < 15:
        raise InvalidNip("TMT pada NIP terlalu dekat dengan tanggal lahir")
    gender = int(nip[14])
    if gender not in (1, 2):
        raise InvalidNip("digit ke-15 NIP (jenis kelamin) harus 1 atau 2")
    sequence = int(nip[15:18])
    if sequence == 0:
        raise InvalidNip("nomor urut NIP (digit 16–18) tidak boleh 000")
    return NipInfo(birth, tmt_year, None if pppk else tmt_month, gender, sequence, pppk)


def nip_problem(raw: str) -> str | None:
    try:
        parse_nip(raw)
    except InvalidNip as exc:
        return str(exc)
    return None


def looks_like_nip(raw: str) -> bool:
    """True when the input is meant as a NIP (digits, spaces) rather than an email."""
    return "@" not in raw and bool(re.fullmatch(r"[\d\s.\-]+", raw.strip()))


def nik_problem(raw: str) -> str | None:
    """A 16-digit NIK: region code (6) + DDMMYY birth date (DD + 40 for women) + 4 digits."""
    nik = normalize_nip(raw)
    if not _DIGITS.fullmatch(nik or "x"):
        return "NIK hanya boleh berisi angka"
    if len(nik) != 16:
        return f"NIK harus 16 digit (tertulis {len(nik)} digit)"
    day, month = int(nik[6:8]), int(nik[8:10])
    if day > 40:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return "digit 7–12 NIK bukan tanggal lahir yang masuk akal"
    return None


_NIP_VISIBLE = 4  # digits shown at each end of a masked NIP


def mask_nip(nip: str) -> str:
    """NIP with only the first and last four digits visible, for pages others can see."""
    digits = re.sub(r"\s+", "", nip)
    if len(digits) <= 2 * _NIP_VISIBLE:
        return "x" * len(digits)  # too short to show any part without showing most of it
    hidden = len(digits) - 2 * _NIP_VISIBLE
    return digits[:_NIP_VISIBLE] + "x" * hidden + digits[-_NIP_VISIBLE:]

"""Staff import from the BKPSDM spreadsheet — validation and planning, no database.

    read_table (importer_read) -> validate_rows -> plan_import -> (service applies the plan)

`validate_rows` turns each spreadsheet row into an `ImportRow` or into `RowProblem`s, in
Bahasa Indonesia and pointing at the row, and never raises: one bad row never stops the
others. `plan_import` compares valid rows with the people already in the database (given
as plain dictionaries) and says what to create, what to update field by field and what to
leave alone; applying a plan and planning the same file again yields only unchanged rows.

An empty cell means "not given": it never clears a value that is already stored, so a
partial spreadsheet cannot wipe e-mail addresses that people registered themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from app.users.importer_read import (
    MAX_BYTES,
    MAX_DATA_ROWS,
    Cells,
    RowProblem,
    read_table,
)
from app.users.models import EmploymentStatus
from app.users.nip import nik_problem, nip_problem, normalize_nip, parse_nip
from app.users.records import (
    EARLIEST_TMT_YEAR,
    normalize_golongan,
    normalize_status,
    parse_tmt,
)

__all__ = [
    "MAX_BYTES",
    "MAX_DATA_ROWS",
    "ExistingPerson",
    "ImportPlan",
    "ImportRow",
    "PlannedCreate",
    "PlannedUpdate",
    "RowProblem",
    "parse_import",
    "plan_import",
    "read_table",
    "validate_rows",
]

MAX_NAME = 200
MAX_JABATAN = 200
MAX_EMAIL = 254


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One valid spreadsheet row. `nip` or `nik` is always set; None elsewhere = not given."""

    row: int
    nip: str | None
    nik: str | None
    full_name: str
    email: str | None
    opd_code: str | None
    opd_name: str | None
    jabatan: str | None
    golongan: str | None
    status: EmploymentStatus
    tmt: date | None
    # True when the Status cell was empty and the status was inferred (from the NIP, or
    # NON_ASN for a NIK): an inferred status never overrides a stored one.
    status_derived: bool = False

    @property
    def key(self) -> str:
        """The identity the import matches on: the NIP, or the NIK for non-ASN staff."""
        return self.nip or self.nik or ""


# ---------------------------------------------------------------------------- reading


def parse_import(
    data: bytes, filename: str, *, today: date
) -> tuple[list[ImportRow], list[RowProblem]]:
    """Read and validate an uploaded file: valid rows, and every problem in row order."""
    _, rows, problems = read_table(data, filename)
    valid, row_problems = validate_rows(rows, today=today)
    return valid, sorted([*problems, *row_problems], key=_by_row)


def validate_rows(
    rows: Iterable[tuple[int, Cells]], *, today: date
) -> tuple[list[ImportRow], list[RowProblem]]:
    """Valid rows and problems (in row order) for rows from `read_table`.

    `today` decides CPNS vs PNS when the status is empty (TMT in this or last year = CPNS).
    A NIP, NIK or e-mail that appears again makes every later row an error naming the first.
    """
    checked = [_check_row(number, cells, today) for number, cells in rows]
    _mark_duplicates(checked)
    valid = [c.result for c in checked if c.result is not None and not c.failed]
    problems = sorted((problem for c in checked for problem in c.problems), key=_by_row)
    return valid, problems


def _by_row(problem: RowProblem) -> int:
    # A stable sort on the row alone keeps each row's problems in column order.
    return problem.row


@dataclass(slots=True)
class _Checked:
    """What checking one row found: its problems, its identities and (if clean) the row."""

    row: int
    problems: list[RowProblem] = field(default_factory=list)
    identities: list[tuple[str, str]] = field(default_factory=list)  # ("NIP", "1990…")
    result: ImportRow | None = None

    def error(self, reason: str) -> None:
        self.problems.append(RowProblem(self.row, reason))

    def warn(self, reason: str) -> None:
        self.problems.append(RowProblem(self.row, reason, "warning"))

    @property
    def failed(self) -> bool:
        return any(problem.level == "error" for problem in self.problems)


def _check_row(number: int, cells: Cells, today: date) -> _Checked:
    check = _Checked(number)
    raw_nip, raw_nik = _text(cells, "nip"), _text(cells, "nik")
    if not raw_nip and not raw_nik:
        check.error("NIP atau NIK wajib diisi (NIK hanya untuk pegawai Non-ASN)")
    nip = _read_nip(check, raw_nip)
    nik = _read_nik(check, raw_nik, is_key=not raw_nip)
    full_name = _read_name(check, _text(cells, "full_name"))
    email = _read_email(check, _text(cells, "email"))
    status, derived = _read_status(
        check, _text(cells, "status"), nip=nip, has_nip=bool(raw_nip), today=today
    )
    golongan = _read_golongan(check, _text(cells, "golongan"), status)
    tmt = _read_tmt(check, _text(cells, "tmt"), today)
    jabatan = _read_jabatan(check, _text(cells, "jabatan"))
    opd_code, opd_name = _text(cells, "opd_code") or None, _text(cells, "opd_name") or None
    if opd_code is None and opd_name is None:
        check.error("Kode OPD atau nama OPD wajib diisi")
    check.identities = [
        (label, value) for label, value in (("NIP", nip), ("NIK", nik), ("Email", email)) if value
    ]
    if not check.failed and status is not None:
        check.result = ImportRow(
            row=number,
            nip=nip,
            nik=nik,
            full_name=full_name,
            email=email,
            opd_code=opd_code,
            opd_name=opd_name,
            jabatan=jabatan,
            golongan=golongan,
            status=status,
            tmt=tmt,
            status_derived=derived,
        )
    return check


def _mark_duplicates(checked: list[_Checked]) -> None:
    first_row: dict[tuple[str, str], int] = {}
    for check in checked:
        for identity in check.identities:
            first = first_row.setdefault(identity, check.row)
            if first != check.row:
                check.error(f"{identity[0]} sama dengan baris {first}")


# ---------------------------------------------------------------------------- cells

# Characters that are invisible or break layouts (zero-width spaces pasted from the web,
# bidi marks, C0/C1 controls other than whitespace); whitespace itself is collapsed.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
# Spreadsheets from BKPSDM use a dash for "no value".
_PLACEHOLDERS = frozenset({"-", "--", "–", "—"})


def _clean_text(raw: str) -> str:
    return " ".join(_INVISIBLE.sub("", raw).split())


def _text(cells: Cells, name: str) -> str:
    value = _clean_text(cells.get(name, ""))
    return "" if value in _PLACEHOLDERS else value


def _quote(value: str, limit: int = 60) -> str:
    """A cell value for a message, cut short so one huge cell cannot flood the report."""
    return f"'{value}'" if len(value) <= limit else f"'{value[:limit]}…'"


# Excel shows long numbers as 1,99001E+17 and saves them that way in CSV, dropping digits.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+")


def _read_nip(check: _Checked, raw: str) -> str | None:
    if not raw:
        return None
    raw = raw.removeprefix("'")  # Excel's "store as text" marker, when it leaks into a file
    if _SCIENTIFIC.fullmatch(raw):
        check.error(f"NIP tertulis dalam notasi ilmiah ({raw}); format kolom NIP sebagai teks")
        return None
    nip = normalize_nip(raw)
    # nip_problem accepts any Unicode digit ("١٩٨٥…"), which would make a second key.
    problem = nip_problem(nip) if nip.isascii() else "NIP hanya boleh berisi angka 0–9"
    if problem is None:
        return nip
    if len(nip) == 18 and nip.endswith("000"):
        # 18 digits ending in 000 is what Excel leaves of a NIP kept as a number (15 digits).
        problem += " — kemungkinan digit terakhir hilang karena kolom NIP berformat angka"
    check.error(f"NIP tidak valid: {problem}")
    return None


def _read_nik(check: _Checked, raw: str, *, is_key: bool) -> str | None:
    """The NIK identifies non-ASN staff; next to a NIP it is only extra data.

    A broken NIK next to a valid NIP is dropped with a warning instead of rejecting the
    person: the NIP already identifies them and Excel mangles 16-digit NIKs very often.
    """
    if not raw:
        return None
    raw = raw.removeprefix("'")
    if _SCIENTIFIC.fullmatch(raw):
        problem = f"NIK tertulis dalam notasi ilmiah ({raw}); format kolom NIK sebagai teks"
    else:
        nik = normalize_nip(raw)
        found = nik_problem(nik) if nik.isascii() else "NIK hanya boleh berisi angka 0–9"
        if found is None:
            return nik
        problem = f"NIK tidak valid: {found}"
    if is_key:
        check.error(problem)
    else:
        check.warn(f"{problem}; NIK diabaikan")
    return None


def _read_name(check: _Checked, name: str) -> str:
    if not name:
        check.error("Nama wajib diisi")
    elif len(name) > MAX_NAME:
        check.error(f"Nama terlalu panjang ({len(name)} karakter; maksimal {MAX_NAME})")
    elif not any(ch.isalpha() for ch in name):
        check.error(f"Nama {_quote(name)} tidak berisi huruf; periksa urutan kolom")
    return name


# Deliberately simple: ASCII local part and a dotted domain with a 2+ letter TLD.
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def _read_email(check: _Checked, raw: str) -> str | None:
    if not raw:
        return None
    email = raw.lower()
    if len(email) > MAX_EMAIL:
        check.error(f"Email terlalu panjang ({len(email)} karakter; maksimal {MAX_EMAIL})")
        return None
    if not _EMAIL.fullmatch(email):
        check.error(f"Email {_quote(raw)} tidak valid")
        return None
    return email


def _read_jabatan(check: _Checked, jabatan: str) -> str | None:
    if len(jabatan) > MAX_JABATAN:
        check.error(f"Jabatan terlalu panjang ({len(jabatan)} karakter; maksimal {MAX_JABATAN})")
    return jabatan or None


# ---------------------------------------------------------------------------- status


def _read_status(
    check: _Checked, raw: str, *, nip: str | None, has_nip: bool, today: date
) -> tuple[EmploymentStatus | None, bool]:
    """The row's status and whether it was inferred; None when the row cannot have one."""
    given = normalize_status(raw) if raw else None
    if raw and given is None:
        check.error(f"Status {_quote(raw)} tidak dikenal; gunakan CPNS, PNS, PPPK, atau Non-ASN")
        return None, False
    if not has_nip:
        return _status_without_nip(check, given)
    if given is EmploymentStatus.NON_ASN:
        check.error("Pegawai ber-NIP tidak dapat berstatus Non-ASN; periksa NIP atau status")
        return None, False
    if given is not None:
        return given, False
    if nip is None:  # invalid NIP, already reported; nothing to infer from
        return None, False
    return _status_from_nip(nip, today), True


def _status_without_nip(
    check: _Checked, given: EmploymentStatus | None
) -> tuple[EmploymentStatus | None, bool]:
    if given in (EmploymentStatus.CPNS, EmploymentStatus.PNS):
        check.error(f"Pegawai berstatus {given} wajib memiliki NIP; isi kolom NIP")
        return None, False
    if given is EmploymentStatus.PPPK:
        # PPPK still waiting for their NI are recorded as non-ASN until the NIP arrives.
        check.warn("PPPK tanpa NIP dicatat sebagai Non-ASN sampai NIP terbit")
    return EmploymentStatus.NON_ASN, given is None


def _status_from_nip(nip: str, today: date) -> EmploymentStatus:
    """A NI PPPK (PPPK code in digits 13–14) means PPPK. Otherwise CPNS serve a probation
    year, so a first appointment (NIP digits 9–12) this year or last year means CPNS;
    anything older is PNS. An explicit Status cell always wins."""
    if parse_nip(nip).pppk:
        return EmploymentStatus.PPPK
    tmt_year = int(nip[8:12])
    return (
        EmploymentStatus.CPNS if today.year - 1 <= tmt_year <= today.year else EmploymentStatus.PNS
    )


# ---------------------------------------------------------------------------- golongan


def _read_golongan(check: _Checked, raw: str, status: EmploymentStatus | None) -> str | None:
    if not raw or status is None:
        return None
    if status is EmploymentStatus.NON_ASN:
        check.warn(f"Golongan {_quote(raw)} diabaikan: pegawai Non-ASN tidak bergolongan")
        return None
    golongan = normalize_golongan(raw, status)
    if golongan is not None:
        return golongan
    if status is EmploymentStatus.PPPK:
        check.error(f"Golongan PPPK {_quote(raw)} tidak dikenali; gunakan I sampai XVII (mis. IX)")
    else:
        hint = "; jika pegawai PPPK, isi kolom Status dengan PPPK"
        pppk_like = normalize_golongan(raw, EmploymentStatus.PPPK) is not None
        check.error(
            f"Golongan {_quote(raw)} tidak dikenali; tulis seperti III/a (ruang a–d, IV sampai e)"
            + (hint if pppk_like else "")
        )
    return None


# ---------------------------------------------------------------------------- TMT


def _read_tmt(check: _Checked, raw: str, today: date) -> date | None:
    if not raw:
        return None
    tmt = parse_tmt(raw)
    if tmt is None:
        check.error(
            f"TMT {_quote(raw)} bukan tanggal yang valid; tulis seperti 01-03-2025, "
            "2025-03-01, atau 1 Maret 2025"
        )
    elif not EARLIEST_TMT_YEAR <= tmt.year <= today.year + 1:
        check.error(f"TMT {_quote(raw)} tidak masuk akal (tahun {tmt.year})")
        return None
    return tmt


# ---------------------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class ExistingPerson:
    """A person already in the database, as the planner needs to see them."""

    user_id: int
    key: str  # NIP, or NIK for non-ASN staff
    full_name: str
    email: str | None
    opd_id: int | None
    jabatan: str | None
    golongan: str | None
    status: str


class PlannedCreate(NamedTuple):
    row: ImportRow
    opd_id: int


class PlannedUpdate(NamedTuple):
    person: ExistingPerson
    row: ImportRow
    # Field name -> (stored, new). Field names are ExistingPerson's, plus "nip" when a
    # person registered by NIK now has a NIP (e.g. an honorer appointed PPPK).
    diff: dict[str, tuple[object, object]]


@dataclass
class ImportPlan:
    create: list[PlannedCreate] = field(default_factory=list)
    update: list[PlannedUpdate] = field(default_factory=list)
    unchanged: list[ImportRow] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Figures for the preview page; `rejected` counts rows, not problems."""
        return {
            "create": len(self.create),
            "update": len(self.update),
            "unchanged": len(self.unchanged),
            "rejected": len({problem.row for problem in self.rejected}),
            "warnings": len(self.warnings),
        }


def plan_import(
    rows: Iterable[ImportRow],
    *,
    existing: dict[str, ExistingPerson],
    existing_emails: dict[str, str] | None = None,
    opds_by_code: dict[str, int],
    opds_by_name: dict[str, int],
    allowed_opd_ids: set[int] | None,
    problems: Iterable[RowProblem] = (),
) -> ImportPlan:
    """What applying `rows` would change. Pure: the caller loads the dictionaries.

    `existing` is keyed by NIP or NIK, `existing_emails` maps stored e-mail -> that key.
    `allowed_opd_ids` (None = any OPD) limits an OPD admin to their own OPD, both for the
    rows' OPD and for people already registered elsewhere. `problems` from reading and
    validation are carried into `rejected`/`warnings` so the plan is the whole report.
    """
    plan = ImportPlan()
    for problem in problems:
        (plan.rejected if problem.level == "error" else plan.warnings).append(problem)
    context = _PlanContext(
        existing=existing,
        email_owners={email.lower(): key for email, key in (existing_emails or {}).items()},
        opds=_OpdIndex(opds_by_code, opds_by_name),
        allowed_opd_ids=allowed_opd_ids,
    )
    for row in rows:
        _plan_row(plan, row, context)
    plan.rejected.sort(key=_by_row)
    plan.warnings.sort(key=_by_row)
    return plan


def _fold_name(name: str) -> str:
    return " ".join(name.casefold().split())


class _OpdIndex:
    """OPDs by code (case-insensitive), else by name (case- and whitespace-insensitive)."""

    def __init__(self, by_code: dict[str, int], by_name: dict[str, int]):
        self.by_code = {code.strip().casefold(): opd_id for code, opd_id in by_code.items()}
        self.by_name = {_fold_name(name): opd_id for name, opd_id in by_name.items()}

    def find(self, text: str | None) -> int | None:
        """An OPD named by `text`: its code first, else its name. BKPSDM files put codes
        under "OPD" or "Unit Kerja" as often as names, so either column may hold either."""
        if not text:
            return None
        found = self.by_code.get(text.strip().casefold())
        return found if found is not None else self.by_name.get(_fold_name(text))

    def resolve(self, row: ImportRow) -> tuple[int | None, list[RowProblem]]:
        by_code = self.find(row.opd_code)
        by_name = self.find(row.opd_name)
        if by_code is None and by_name is None:
            shown = " / ".join(filter(None, (row.opd_code, row.opd_name)))
            return None, [RowProblem(row.row, f"OPD {_quote(shown)} tidak dikenal")]
        if by_code is not None and by_name is not None and by_code != by_name:
            warning = RowProblem(
                row.row,
                f"Kode OPD {_quote(row.opd_code or '')} dan nama OPD {_quote(row.opd_name or '')}"
                " menunjuk OPD yang berbeda; kode OPD yang dipakai",
                "warning",
            )
            return by_code, [warning]
        return by_code if by_code is not None else by_name, []


@dataclass(frozen=True, slots=True)
class _PlanContext:
    existing: dict[str, ExistingPerson]
    email_owners: dict[str, str]
    opds: _OpdIndex
    allowed_opd_ids: set[int] | None


def _find_person(row: ImportRow, existing: dict[str, ExistingPerson]) -> ExistingPerson | None:
    person = existing.get(row.key)
    if person is None and row.nip and row.nik:
        # Registered earlier by NIK (as honorer), now listed with a NIP: same person.
        person = existing.get(row.nik)
    return person


def _plan_row(plan: ImportPlan, row: ImportRow, context: _PlanContext) -> None:
    opd_id, opd_problems = context.opds.resolve(row)
    errors = [problem for problem in opd_problems if problem.level == "error"]
    plan.warnings.extend(problem for problem in opd_problems if problem.level == "warning")
    person = _find_person(row, context.existing)
    allowed = context.allowed_opd_ids
    if allowed is not None and opd_id is not None and opd_id not in allowed:
        errors.append(RowProblem(row.row, "Anda hanya dapat mengimpor pegawai OPD Anda"))
    elif allowed is not None and person is not None and person.opd_id not in allowed:
        # Without this an OPD admin could move someone out of another OPD into theirs.
        errors.append(
            RowProblem(
                row.row,
                "Pegawai ini terdaftar di luar OPD Anda; minta admin kota untuk memindahkannya",
            )
        )
    owner = context.email_owners.get(row.email) if row.email else None
    if owner is not None and owner != (person.key if person else row.key):
        errors.append(RowProblem(row.row, f"Email {row.email} sudah dipakai pegawai lain"))
    if errors or opd_id is None:
        plan.rejected.extend(errors)
    elif person is None:
        plan.create.append(PlannedCreate(row, opd_id))
    elif diff := _diff(person, row, opd_id):
        plan.update.append(PlannedUpdate(person, row, diff))
    else:
        plan.unchanged.append(row)


def _diff(person: ExistingPerson, row: ImportRow, opd_id: int) -> dict[str, tuple[object, object]]:
    changes: dict[str, tuple[object, object]] = {}
    if row.nip and person.key != row.nip:
        changes["nip"] = (None, row.nip)
    given: dict[str, tuple[object, object | None]] = {
        "full_name": (person.full_name, row.full_name),
        "email": (person.email, row.email),
        "opd_id": (person.opd_id, opd_id),
        "jabatan": (person.jabatan, row.jabatan),
        "golongan": (person.golongan, row.golongan),
    }
    # An inferred status only corrects a stored one that cannot be right: someone with a
    # NIP is not non-ASN. Otherwise the stored status (maybe set by hand) stays.
    if not row.status_derived or (row.nip and person.status == EmploymentStatus.NON_ASN):
        given["status"] = (person.status, row.status)
    for name, (old, new) in given.items():
        if new is not None and new != old:
            changes[name] = (old, new)
    return changes

"""The report filter: one typed object parsed from URL query parameters — no database.

The page, the exports, the API and the CLI all build a `ReportFilter` the same way, so a
bookmarked URL, an API call and a cron job with the same parameters see the same figures.
Parameter names are Indonesian, like the rest of Cakap's URLs:

    kursus=<slug>  sasaran=all|cpns|bimtek  status=all|CPNS|PNS|PPPK|NON_ASN
    dari=YYYY-MM-DD  sampai=YYYY-MM-DD  opd=<id>  urut=<column>  turun=1

`urut` takes the sortable keys of app/reports/columns.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from app import citytime
from app.i18n import N_
from app.reports.columns import DEFAULT_SORT, SORT_KEYS
from app.reports.periods import Period


class FilterError(ValueError):
    """A query parameter with a value we cannot use; the message is shown to the person."""


AUDIENCES = {
    "all": N_("Semua sasaran"),
    "cpns": N_("Orientasi CPNS"),
    "bimtek": N_("Bimtek"),
}
STATUSES = {
    "all": N_("Semua status"),
    "CPNS": "CPNS",
    "PNS": "PNS",
    "PPPK": "PPPK",
    "NON_ASN": N_("Non-ASN"),
}
PARAMS = ("kursus", "sasaran", "status", "dari", "sampai", "opd", "urut", "turun")
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_EARLIEST = date(2000, 1, 1)
_LATEST = date(2100, 12, 31)


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers. `opd_id` is also the scope: set, the report shows that OPD only.

    The period (`completed_from`..`completed_to`, whole days in the city's time zone,
    both inclusive) limits completions, scores, certificates and JP to that period; enrolments
    count when they were made before the period's end.
    """

    course_id: int | None = None
    course_slug: str | None = None
    audience: str = "all"
    status: str = "all"
    completed_from: date | None = None
    completed_to: date | None = None
    opd_id: int | None = None
    sort: str = DEFAULT_SORT  # a sortable key of app/reports/columns.py
    desc: bool = False

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise FilterError(
                f"Sasaran '{self.audience}' tidak dikenal; pilih salah satu: "
                + ", ".join(AUDIENCES)
                + "."
            )
        if self.status not in STATUSES:
            raise FilterError(
                f"Status kepegawaian '{self.status}' tidak dikenal; pilih salah satu: "
                + ", ".join(STATUSES)
                + "."
            )
        if self.sort not in SORT_KEYS:
            raise FilterError(
                f"Urutan '{self.sort}' tidak dikenal; pilih salah satu: "
                + ", ".join(SORT_KEYS)
                + "."
            )
        for day in (self.completed_from, self.completed_to):
            if day is not None and not _EARLIEST <= day <= _LATEST:
                raise FilterError("Tanggal periode harus antara tahun 2000 dan 2100.")
        if self.completed_from and self.completed_to and self.completed_from > self.completed_to:
            raise FilterError("Tanggal awal periode (dari) tidak boleh setelah tanggal akhir.")

    @classmethod
    def from_params(cls, params: Mapping[str, str | None]) -> ReportFilter:
        """Parse query parameters; empty values mean "not set" (a GET form sends them)."""

        def get(name: str) -> str | None:
            value = params.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        slug = get("kursus")
        if slug is not None and not _SLUG_RE.fullmatch(slug):
            raise FilterError(f"Kode kursus '{slug[:100]}' tidak valid.")
        status = get("status") or "all"
        return cls(
            course_slug=slug,
            audience=(get("sasaran") or "all").lower(),
            status="all" if status.lower() == "all" else status.upper(),
            completed_from=_parse_date(get("dari"), "dari"),
            completed_to=_parse_date(get("sampai"), "sampai"),
            opd_id=_parse_id(get("opd"), "opd"),
            sort=(get("urut") or DEFAULT_SORT).lower(),
            desc=_parse_bool(get("turun"), "turun"),
        )

    @property
    def has_period(self) -> bool:
        return self.completed_from is not None or self.completed_to is not None

    def period_utc(self) -> Period:
        """[start, end) of the period as UTC instants; None where open."""
        start = citytime.start_of(self.completed_from) if self.completed_from else None
        end = (
            citytime.start_of(self.completed_to + timedelta(days=1)) if self.completed_to else None
        )
        return Period(start, end)

    def params(self, **overrides) -> dict[str, str]:
        """The URL parameters that differ from the defaults (stable order, for links)."""
        f = replace(self, **overrides) if overrides else self
        values = {
            "kursus": f.course_slug,
            "sasaran": None if f.audience == "all" else f.audience,
            "status": None if f.status == "all" else f.status,
            "dari": f.completed_from.isoformat() if f.completed_from else None,
            "sampai": f.completed_to.isoformat() if f.completed_to else None,
            "opd": str(f.opd_id) if f.opd_id is not None else None,
            "urut": None if f.sort == DEFAULT_SORT else f.sort,
            "turun": "1" if f.desc else None,
        }
        return {k: v for k, v in values.items() if v is not None}

    def query(self, **overrides) -> str:
        """`?a=b&…` for links (empty string when every value is the default)."""
        encoded = urlencode(self.params(**overrides))
        return "?" + encoded if encoded else ""

    def sort_query(self, key: str) -> str:
        """The link for a column header: sort by it, or flip the direction if it is current."""
        # Figures read best largest first; names from A.
        desc = not self.desc if key == self.sort else key != DEFAULT_SORT
        return self.query(sort=key, desc=desc)

    def as_dict(self) -> dict:
        return {
            f.name: (v.isoformat() if isinstance(v, date) else v)
            for f in fields(self)
            if (v := getattr(self, f.name)) is not None
        }


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            f"Tanggal '{value[:40]}' pada '{name}' tidak valid; gunakan format TTTT-BB-HH, "
            "mis. 2026-03-31."
        ) from None


def _parse_id(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 9:
        raise FilterError(f"Nilai '{value[:40]}' pada '{name}' harus berupa nomor.")
    return int(value)


def _parse_bool(value: str | None, name: str) -> bool:
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("1", "true", "ya"):
        return True
    if lowered in ("0", "false", "tidak"):
        return False
    raise FilterError(f"Nilai '{value[:40]}' pada '{name}' harus 1 atau 0.")


def parse_page(value: str | None) -> int:
    """A 1-based page number from `halaman`; bad values are a usage error, not a 500."""
    if value is None or not value.strip():
        return 1
    value = value.strip()
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise FilterError(f"Nomor halaman '{value[:20]}' tidak valid.")
    return int(value)


def parse_year(value: str | None, default: int) -> int:
    if value is None or not value.strip():
        return default
    value = value.strip()
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise FilterError(f"Tahun '{value[:20]}' tidak valid; isi tahun antara 2000 dan 2100.")
    return int(value)

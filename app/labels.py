"""The Indonesian label of every stored value a person may see (enums, enrolment sources).

Templates write `{{ value|label("employment_status") }}`; code calls `label(value, kind)`.
No database and no FastAPI: a pure lookup, translated where it is shown."""

from __future__ import annotations

import enum

from app.i18n import N_, gettext

LABELS: dict[str, dict[str, str]] = {
    "employment_status": {
        "CPNS": "CPNS",
        "PNS": "PNS",
        "PPPK": "PPPK",
        "NON_ASN": N_("Non-ASN"),
    },
    "enrolment_source": {
        "self": N_("Mendaftar sendiri"),
        "assigned": N_("Ditugaskan"),
        "bimtek": N_("Peserta bimtek"),
        "import": N_("Dari impor"),
    },
    "enrolment_status": {
        "enrolled": N_("Belum mulai"),
        "in_progress": N_("Sedang berjalan"),
        "completed": N_("Selesai"),
    },
    "nomination_status": {
        "pending": N_("menunggu persetujuan"),
        "confirmed": N_("terkonfirmasi"),
        "waitlisted": N_("daftar tunggu"),
        "withdrawn": N_("mengundurkan diri"),
        "rejected": N_("ditolak"),
    },
    "attendance_method": {
        "qr": N_("kode QR"),
        "code": N_("kode"),
        "manual": N_("manual"),
    },
    "role": {
        "learner": N_("Peserta"),
        "opd_admin": N_("Admin OPD"),
        "kominfo": N_("Diskominfo"),
        "admin": N_("Administrator"),
    },
    "attempt_status": {
        "open": N_("sedang dikerjakan"),
        "submitted": N_("dikumpulkan"),
        "expired": N_("waktu habis"),
    },
}


def label(value: object, kind: str) -> str:
    """The translated label of `value`; an unknown value is shown as it is (never an error)."""
    if value is None:
        return ""
    key = value.value if isinstance(value, enum.Enum) else str(value)
    text = LABELS[kind].get(key)
    return gettext(text) if text is not None else key

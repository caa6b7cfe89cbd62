"""The session form: raw strings in, a checked `SessionInput` (or messages per field) out.

No database here; the service checks what needs one (course, facilitator accounts, days
that already have attendance). Times are typed in the city's zone (app.citytime) and
stored in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from app import citytime
from app.i18n import gettext as _

MAX_DAYS = 30
EMPTY_DAY_ROWS = 3


@dataclass
class DayInput:
    id: int | None
    date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    delete: bool = False


@dataclass
class SessionInput:
    title: str
    course_id: int
    venue: str
    online_link: str | None
    facilitator_names: str
    facilitator_logins: list[str]
    capacity: int
    default_quota_per_opd: int | None
    registration_opens: datetime
    registration_closes: datetime
    jp: int
    required_attendance_percent: int
    allow_self_registration: bool
    quotas: dict[int, int] = field(default_factory=dict)
    days: list[DayInput] = field(default_factory=list)


def _text(form: Mapping[str, str], name: str) -> str:
    return str(form.get(name) or "").strip()


def _int(
    form: Mapping[str, str],
    name: str,
    errors: dict[str, str],
    *,
    low: int,
    high: int,
    required: bool = True,
    label: str,
) -> int | None:
    raw = _text(form, name)
    if not raw:
        if required:
            errors[name] = _("%(label)s wajib diisi.") % {"label": label}
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("%(label)s harus berupa bilangan bulat.") % {"label": label}
        return None
    if not low <= value <= high:
        errors[name] = _("%(label)s harus antara %(low)s dan %(high)s.") % {
            "label": label,
            "low": low,
            "high": high,
        }
        return None
    return value


def _local_datetime(form: Mapping[str, str], name: str, errors: dict[str, str], label: str):
    raw = _text(form, name)
    if not raw:
        errors[name] = _("%(label)s wajib diisi.") % {"label": label}
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = _("%(label)s tidak valid (format: tanggal dan jam).") % {"label": label}
        return None
    return citytime.at(value.date(), value.time())


def _day_rows(form: Mapping[str, str], errors: dict[str, str]) -> list[DayInput]:
    days: list[DayInput] = []
    seen: set[date] = set()
    for i in range(MAX_DAYS + EMPTY_DAY_ROWS):
        prefix = f"hari-{i}"
        day_id_raw = _text(form, f"{prefix}-id")
        raw_date = _text(form, f"{prefix}-tanggal")
        if not raw_date and not day_id_raw:
            continue
        key = f"{prefix}-tanggal"
        day_id = int(day_id_raw) if day_id_raw.isdigit() else None
        delete = bool(_text(form, f"{prefix}-hapus")) and day_id is not None
        try:
            on = date.fromisoformat(raw_date)
            start = time.fromisoformat(_text(form, f"{prefix}-mulai") or "x")
            end = time.fromisoformat(_text(form, f"{prefix}-selesai") or "x")
        except ValueError:
            if delete:
                days.append(_deleted(day_id))
                continue
            errors[key] = _("Isi tanggal, jam mulai, dan jam selesai hari ke-%(n)s.") % {"n": i + 1}
            continue
        if not delete:
            if end <= start:
                errors[key] = _("Jam selesai hari ke-%(n)s harus setelah jam mulai.") % {"n": i + 1}
                continue
            if on in seen:
                errors[key] = _("Tanggal %(d)s tercantum lebih dari sekali.") % {
                    "d": on.strftime("%d-%m-%Y")
                }
                continue
            seen.add(on)
        days.append(DayInput(day_id, on, citytime.at(on, start), citytime.at(on, end), delete))
    if len([d for d in days if not d.delete]) > MAX_DAYS:
        errors["hari"] = _("Paling banyak %(n)s hari.") % {"n": MAX_DAYS}
    if not any(not d.delete for d in days) and "hari" not in errors:
        errors["hari"] = _("Isi paling sedikit satu hari pelaksanaan.")
    return days


def _deleted(day_id: int) -> DayInput:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return DayInput(day_id, epoch.date(), epoch, epoch, delete=True)


def parse_session_form(
    form: Mapping[str, str], *, opd_ids: list[int]
) -> tuple[SessionInput | None, dict[str, str]]:
    """Check every field; return the input, or None and one message per wrong field."""
    errors: dict[str, str] = {}
    title = _text(form, "judul")
    if not title:
        errors["judul"] = _("Judul wajib diisi.")
    elif len(title) > 300:
        errors["judul"] = _("Judul paling panjang 300 karakter.")
    course_id = _int(form, "kursus", errors, low=1, high=2**31 - 1, label=_("Kursus"))
    if "kursus" in errors:
        errors["kursus"] = _("Pilih kursus bimtek.")
    venue = _text(form, "tempat")[:300]
    link = _text(form, "tautan_daring")
    if link and (not link.startswith(("https://", "http://")) or len(link) > 500 or " " in link):
        errors["tautan_daring"] = _("Tautan daring harus diawali https:// (maksimal 500 karakter).")
    if not venue and not link:
        errors["tempat"] = _("Isi tempat pelaksanaan atau tautan daring.")
    names = _text(form, "nama_fasilitator")
    if len(names) > 2000:
        errors["nama_fasilitator"] = _("Nama fasilitator paling panjang 2.000 karakter.")
    logins = [line.strip() for line in _text(form, "akun_fasilitator").splitlines() if line.strip()]
    capacity = _int(form, "kapasitas", errors, low=1, high=10000, label=_("Kapasitas"))
    quota = _int(
        form,
        "kuota_opd",
        errors,
        low=1,
        high=10000,
        required=False,
        label=_("Kuota bawaan per OPD"),
    )
    opens = _local_datetime(form, "daftar_buka", errors, _("Pendaftaran dibuka"))
    closes = _local_datetime(form, "daftar_tutup", errors, _("Pendaftaran ditutup"))
    if opens and closes and closes <= opens:
        errors["daftar_tutup"] = _("Penutupan pendaftaran harus setelah pembukaannya.")
    jp = _int(form, "jp", errors, low=0, high=500, label="JP")
    percent = _int(form, "persen_hadir", errors, low=1, high=100, label=_("Syarat kehadiran"))
    quotas: dict[int, int] = {}
    for opd_id in opd_ids:
        value = _int(
            form,
            f"kuota-{opd_id}",
            errors,
            low=0,
            high=10000,
            required=False,
            label=_("Kuota OPD"),
        )
        if value is not None:
            quotas[opd_id] = value
    days = _day_rows(form, errors)
    if errors:
        return None, errors
    return (
        SessionInput(
            title=title,
            course_id=course_id,
            venue=venue,
            online_link=link or None,
            facilitator_names=names,
            facilitator_logins=logins,
            capacity=capacity,
            default_quota_per_opd=quota,
            registration_opens=opens,
            registration_closes=closes,
            jp=jp,
            required_attendance_percent=percent,
            allow_self_registration=bool(_text(form, "daftar_mandiri")),
            quotas=quotas,
            days=days,
        ),
        errors,
    )


def _local_input(value: datetime) -> str:
    return citytime.local(value).strftime("%Y-%m-%dT%H:%M")


def login_of(user) -> str:
    """What identifies a facilitator account in the form: NIP, else NIK, else email."""
    return user.nip or user.nik or user.email or ""


def _str_or_empty(value: int | None) -> str:
    return "" if value is None else str(value)


def session_to_form(session) -> dict[str, str]:
    """The raw form values that show an existing session in the edit form."""
    form = {
        "judul": session.title,
        "kursus": str(session.course_id),
        "tempat": session.venue or "",
        "tautan_daring": session.online_link or "",
        "nama_fasilitator": session.facilitator_names or "",
        "akun_fasilitator": "\n".join(login_of(u) for u in session.facilitators),
        "kapasitas": str(session.capacity),
        "kuota_opd": _str_or_empty(session.default_quota_per_opd),
        "daftar_buka": _local_input(session.registration_opens),
        "daftar_tutup": _local_input(session.registration_closes),
        "jp": str(session.jp),
        "persen_hadir": str(session.required_attendance_percent),
        "daftar_mandiri": "1" if session.allow_self_registration else "",
    }
    for q in session.quotas:
        form[f"kuota-{q.opd_id}"] = str(q.quota)
    for i, day in enumerate(session.days):
        form[f"hari-{i}-id"] = str(day.id)
        form[f"hari-{i}-tanggal"] = day.date.isoformat()
        form[f"hari-{i}-mulai"] = citytime.local(day.starts_at).strftime("%H:%M")
        form[f"hari-{i}-selesai"] = citytime.local(day.ends_at).strftime("%H:%M")
    return form


def day_rows_for(form: Mapping[str, str]) -> list[int]:
    """Row indexes the form shows: every filled row, then a few empty ones to add days."""
    used = [
        i
        for i in range(MAX_DAYS + EMPTY_DAY_ROWS)
        if form.get(f"hari-{i}-id") or form.get(f"hari-{i}-tanggal")
    ]
    last = max(used, default=-1)
    return list(range(min(last + 1 + EMPTY_DAY_ROWS, MAX_DAYS + EMPTY_DAY_ROWS)))

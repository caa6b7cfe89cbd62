"""The audit log as sentences: one Indonesian template per action, with links to the records.

`ACTIONS` is the registry: every action string passed to `record()` has an entry (a test
greps the source to keep it so). Placeholders are filled by `_values`; anything a template
names that an event lacks renders as "—", and an unknown action gets a generic sentence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.i18n import N_, gettext
from app.labels import label

# action -> (short name for the filter list, sentence)
ACTIONS: dict[str, tuple[str, str]] = {
    "login": (N_("Masuk"), N_("{actor} masuk ke Cakap.")),
    "login.failed": (N_("Gagal masuk"), N_("Percobaan masuk gagal dengan akun {target}.")),
    "password.changed": (N_("Kata sandi diubah"), N_("{actor} mengganti kata sandinya.")),
    "password.reset_requested": (
        N_("Tautan kata sandi diminta"),
        N_("Tautan atur ulang kata sandi dikirim ke email {actor}."),
    ),
    "password.reset": (
        N_("Kata sandi diatur ulang"),
        N_("{actor} mengatur ulang kata sandinya lewat tautan email."),
    ),
    "activation.used": (N_("Akun diaktifkan"), N_("{actor} mengaktifkan akunnya dengan kode.")),
    "activation.list": (
        N_("Kode aktivasi dibuat"),
        N_("{actor} membuat kode aktivasi untuk {count} pegawai."),
    ),
    "activation.replaced": (
        N_("Kode aktivasi diganti"),
        N_("{actor} mengganti kode aktivasi {count} pegawai (kode lama tidak berlaku)."),
    ),
    "activation.reset": (
        N_("Akses diatur ulang"),
        N_("{actor} mengatur ulang akses {people} dengan kode aktivasi baru."),
    ),
    "user.activated": (N_("Akun diaktifkan admin"), N_("{actor} mengaktifkan akun {person}.")),
    "user.deactivated": (N_("Akun dinonaktifkan"), N_("{actor} menonaktifkan akun {person}.")),
    "user.opd_changed": (
        N_("Pegawai pindah OPD"),
        N_("{actor} memindahkan {person} dari {opd_old} ke {opd_new}."),
    ),
    "user.roles_changed": (
        N_("Peran diubah"),
        N_("{actor} mengubah peran {person} dari {roles_old} menjadi {roles_new}."),
    ),
    "user.manage_refused": (
        N_("Pengelolaan akun ditolak"),
        N_("{actor} ditolak saat mencoba {tried} akun {person} ({refusal})."),
    ),
    "user.updated_by_import": (
        N_("Data pegawai diperbarui impor"),
        N_("{actor} memperbarui data {person} lewat {job}: {changes}."),
    ),
    "import.previewed": (
        N_("Pratinjau impor"),
        N_(
            "{actor} mengunggah {target} untuk pratinjau: {create} baru, {update} diperbarui, "
            "{rejected} baris ditolak."
        ),
    ),
    "import.applied": (
        N_("Impor diterapkan"),
        N_("{actor} menerapkan {job}: {create} pegawai baru, {update} diperbarui."),
    ),
    "opd.created": (N_("OPD dibuat"), N_("{actor} menambahkan OPD {opd}.")),
    "opd.renamed": (N_("OPD diubah"), N_("{actor} mengubah OPD {opd} menjadi {renamed}.")),
    "opd.merged": (
        N_("OPD digabung"),
        N_("{actor} menggabungkan OPD {opd} ke {into}; {moved} pegawai dipindahkan."),
    ),
    "opd.activated": (N_("OPD diaktifkan"), N_("{actor} mengaktifkan OPD {opd}.")),
    "opd.deactivated": (N_("OPD dinonaktifkan"), N_("{actor} menonaktifkan OPD {opd}.")),
    "opd.imported": (
        N_("Daftar OPD diimpor"),
        N_("{actor} mengimpor daftar {opds}: {created} OPD baru, {problems} masalah."),
    ),
    "rule.created": (
        N_("Aturan penugasan dibuat"),
        N_("{actor} membuat {rule} untuk kursus {target}; {enrolled} pegawai ditugaskan."),
    ),
    "rule.activated": (
        N_("Aturan penugasan diaktifkan"),
        N_("{actor} mengaktifkan lagi {rule}; {enrolled} pegawai ditugaskan."),
    ),
    "rule.deactivated": (
        N_("Aturan penugasan dinonaktifkan"),
        N_("{actor} menonaktifkan {rule}."),
    ),
    "courses.sync": (
        N_("Kursus disinkronkan"),
        N_("{actor} menyinkronkan kursus: {created} baru, {updated} diperbarui, {errors} galat."),
    ),
    "certificate.issued": (
        N_("Sertifikat terbit"),
        N_("Sertifikat {certificate} terbit untuk {actor}."),
    ),
    "certificate.revoked": (
        N_("Sertifikat dicabut"),
        N_("{actor} mencabut sertifikat {certificate} (alasan: {reason})."),
    ),
    "city.signer_changed": (
        N_("Penanda tangan diubah"),
        N_("{actor} menetapkan {target} ({title}) sebagai penanda tangan sertifikat."),
    ),
    "city.logo_changed": (
        N_("Logo kota diganti"),
        N_("{actor} memasang logo kota baru untuk sertifikat dan laporan."),
    ),
    "city.logo_removed": (
        N_("Logo kota dihapus"),
        N_("{actor} menghapus logo kota dari sertifikat dan laporan."),
    ),
    "api_token.created": (
        N_("Token API dibuat"),
        N_("{actor} membuat token API “{name}” ({prefix}…)."),
    ),
    "api_token.revoked": (
        N_("Token API dicabut"),
        N_("{actor} mencabut token API “{name}” ({prefix}…)."),
    ),
    "bimtek.session.create": (
        N_("Sesi bimtek dibuat"),
        N_("{actor} membuat sesi bimtek {session}."),
    ),
    "bimtek.session.update": (
        N_("Sesi bimtek diubah"),
        N_("{actor} mengubah sesi bimtek {session}; {promoted} peserta naik dari daftar tunggu."),
    ),
    "bimtek.nominate": (
        N_("Nominasi bimtek"),
        N_("{actor} menominasikan {person} ke {session} (status: {status})."),
    ),
    "bimtek.self_register": (
        N_("Pendaftaran bimtek"),
        N_("{actor} mendaftar sendiri ke {session}."),
    ),
    "bimtek.approve": (
        N_("Pendaftaran bimtek disetujui"),
        N_("{actor} menyetujui pendaftaran {person} ke {session} (status: {status})."),
    ),
    "bimtek.reject": (
        N_("Pendaftaran bimtek ditolak"),
        N_("{actor} menolak pendaftaran {person} ke {session}."),
    ),
    "bimtek.withdraw": (
        N_("Mundur dari bimtek"),
        N_(
            "{actor} menarik pendaftaran {person} dari {session}; "
            "{promoted} peserta naik dari daftar tunggu."
        ),
    ),
    "bimtek.attendance.manual": (
        N_("Kehadiran dicatat manual"),
        N_("{actor} mencatat kehadiran {person} di {session} secara manual."),
    ),
}
GENERIC = N_("{actor} melakukan tindakan “{action}” pada {target}.")

REFUSALS = {
    "throttled": N_("terlalu banyak percobaan kata sandi"),
    "password": N_("kata sandi salah"),
    "rank": N_("peran tidak cukup"),
}
TRIED = {
    "status": N_("mengubah status"),
    "opd": N_("memindahkan OPD"),
    "roles": N_("mengubah peran"),
    "reset": N_("mengatur ulang akses"),
}
FIELDS = {
    "full_name": N_("nama"),
    "opd_id": N_("OPD"),
    "employment_status": N_("status kepegawaian"),
    "email": N_("email"),
    "nik": N_("NIK"),
    "tmt": N_("TMT"),
    "position": N_("jabatan"),
}
NONE = Markup("—")


def action_name(action: str) -> str:
    """The short Indonesian name of an action (for the filter list)."""
    entry = ACTIONS.get(action)
    return gettext(entry[0]) if entry else action


@dataclass
class Refs:
    """Names of the records events point at, loaded once per page."""

    users: dict[int, str] = field(default_factory=dict)
    opds: dict[int, str] = field(default_factory=dict)
    sessions: dict[int, str] = field(default_factory=dict)
    nominations: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> session, user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _target_id(event: AuditEvent, prefix: str) -> int | None:
    target = event.target or ""
    return _int(target.removeprefix(prefix)) if target.startswith(prefix) else None


def _person_id(event: AuditEvent, refs: Refs | None = None) -> int | None:
    if event.action.startswith("user.") or event.action == "activation.reset":
        return _int(event.target)
    if "user_id" in event.detail:
        return _int(event.detail["user_id"])
    nomination = _target_id(event, "bimtek_nomination:")
    if refs is not None and nomination in refs.nominations:
        return refs.nominations[nomination][1]
    return None


def _session_id(event: AuditEvent, refs: Refs | None = None) -> int | None:
    if (found := _target_id(event, "bimtek_session:")) is not None:
        return found
    if "session_id" in event.detail:
        return _int(event.detail["session_id"])
    nomination = _target_id(event, "bimtek_nomination:")
    if refs is not None and nomination in refs.nominations:
        return refs.nominations[nomination][0]
    return None


def load_refs(db: Session, events: Iterable[AuditEvent]) -> Refs:
    """The names every sentence on a page needs, in four queries at most."""
    from app.bimtek.models import BimtekSession, Nomination
    from app.opds.models import Opd
    from app.users.models import User

    events = list(events)
    refs = Refs()
    nomination_ids = {_target_id(e, "bimtek_nomination:") for e in events} - {None}
    if nomination_ids:
        for nid, sid, uid in db.execute(
            select(Nomination.id, Nomination.session_id, Nomination.user_id).where(
                Nomination.id.in_(nomination_ids)
            )
        ):
            refs.nominations[nid] = (sid, uid)
    user_ids = {_person_id(e, refs) for e in events} - {None}
    if user_ids:
        refs.users = dict(
            db.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all()
        )
    session_ids = {_session_id(e, refs) for e in events} - {None}
    if session_ids:
        refs.sessions = dict(
            db.execute(
                select(BimtekSession.id, BimtekSession.title).where(
                    BimtekSession.id.in_(session_ids)
                )
            ).all()
        )
    opd_ids = {
        _int(e.detail.get(k))
        for e in events
        if e.action == "user.opd_changed"
        for k in ("old", "new")
    } - {None}
    if opd_ids:
        refs.opds = dict(db.execute(select(Opd.id, Opd.name).where(Opd.id.in_(opd_ids))).all())
    return refs


def _link(href: str, text: Any) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _count(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        return len(value)
    return NONE if value is None else value


def _values(event: AuditEvent, actor_name: str | None, refs: Refs) -> dict[str, Any]:
    detail = event.detail or {}
    values: dict[str, Any] = {
        key: _count(value)
        for key, value in detail.items()
        if isinstance(value, int | float | str | list | tuple | dict | None)
    }
    values["actor"] = actor_name or (gettext("Sistem") if event.actor_id is None else "—")
    values["target"] = event.target or NONE
    values["action"] = event.action
    if (uid := _person_id(event, refs)) is not None:
        values["person"] = _link(
            f"/admin/pengguna/{uid}", refs.users.get(uid) or gettext("pengguna #%s") % uid
        )
        values["people"] = values["person"]
    if (sid := _session_id(event, refs)) is not None:
        title = refs.sessions.get(sid) or detail.get("title") or gettext("sesi #%s") % sid
        values["session"] = _link(f"/bimtek/sesi/{sid}", title)
    if event.action.startswith("certificate.") and event.target:
        values["certificate"] = _link(f"/admin/sertifikat?q={escape(event.target)}", event.target)
    if event.action.startswith("opd.") and event.target:
        values["opd"] = _link("/admin/opd", event.target)
    values["opds"] = _link("/admin/opd", gettext("OPD"))
    if into := detail.get("into"):
        values["into"] = _link("/admin/opd", into)
    if isinstance(renamed := detail.get("to"), list | tuple):
        values["renamed"] = " ".join(str(part) for part in renamed)
    if event.action == "user.opd_changed":
        for key in ("old", "new"):
            oid = _int(detail.get(key))
            name = refs.opds.get(oid) if oid is not None else None
            values[f"opd_{key}"] = _link("/admin/opd", name) if name else NONE
    if event.action == "user.roles_changed":
        for key in ("old", "new"):
            roles = [label(r, "role") for r in detail.get(key) or []]
            values[f"roles_{key}"] = ", ".join(roles) or NONE
    if event.action.startswith("rule."):
        rid = _int(detail.get("rule")) or _int(event.target)
        values["rule"] = _link(
            "/admin/aturan", gettext("aturan penugasan #%s") % rid if rid else gettext("aturan")
        )
    if (job := _int(detail.get("job"))) is not None:
        filename = event.target if event.action.startswith("import.") else None
        values["job"] = _link(f"/admin/impor/{job}", filename or gettext("impor #%s") % job)
    elif event.action.startswith("import."):
        values["job"] = event.target or gettext("berkas impor")
    if isinstance(changes := detail.get("changes"), dict):
        values["changes"] = "; ".join(
            f"{gettext(FIELDS[k]) if k in FIELDS else k}: {_pair(v)}" for k, v in changes.items()
        )
    if "status" in detail:
        values["status"] = label(detail["status"], "nomination_status")
    if event.action == "user.manage_refused":
        values["tried"] = gettext(TRIED.get(detail.get("tried"), N_("mengelola")))
        values["refusal"] = gettext(REFUSALS.get(detail.get("reason"), N_("tidak diizinkan")))
    return values


def _pair(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{value[0]} → {value[1]}"
    return str(value)


class _Filled(dict):
    def __missing__(self, key: str) -> Markup:
        return NONE


def sentence(event: AuditEvent, actor_name: str | None, refs: Refs) -> Markup:
    """The event as an Indonesian sentence; record values are escaped, links are ours."""
    entry = ACTIONS.get(event.action)
    template = gettext(entry[1]) if entry else gettext(GENERIC)
    values = _Filled(_values(event, actor_name, refs))
    return escape(template).format_map(values)


def sentences(db: Session, rows: Sequence[tuple[AuditEvent, str | None]]) -> list[Markup]:
    """One sentence per (event, actor name) row of the audit page."""
    refs = load_refs(db, (event for event, _name in rows))
    return [sentence(event, name, refs) for event, name in rows]

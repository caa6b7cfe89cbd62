"""ASN import against the database: preview (nothing written), then apply in batches.

Parsing, validation and planning are pure (`importer.py`); here we load what the planner
needs, store the uploaded file on a job, and apply the plan one batch per transaction.
No password is hashed per row: new accounts get activation codes when the OPD's
activation list is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import insert, not_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app import citytime
from app.audit.service import record
from app.i18n import gettext as _
from app.opds.models import Opd
from app.progress.assignment import active_rules, apply_rules, rule_covers
from app.progress.models import Enrolment
from app.users.importer import (
    MAX_BYTES,
    ExistingPerson,
    ImportPlan,
    RowProblem,
    parse_import,
    plan_import,
)
from app.users.models import ImportJob, Role, User, UserRole
from app.users.scope import act_scope, manageable_condition

BATCH = 1000


class ImportError_(ValueError):
    pass


def _existing(db: Session) -> tuple[dict[str, ExistingPerson], dict[str, str]]:
    people: dict[str, ExistingPerson] = {}
    emails: dict[str, str] = {}
    rows = db.execute(
        select(
            User.id,
            User.nip,
            User.nik,
            User.full_name,
            User.email,
            User.opd_id,
            User.jabatan,
            User.golongan,
            User.employment_status,
        )
    )
    for uid, nip, nik, name, email, opd_id, jabatan, golongan, status in rows:
        for key in (nip, nik):
            if key:
                people[key] = ExistingPerson(
                    uid, nip or nik, name, email, opd_id, jabatan, golongan, str(status)
                )
        if email:
            emails[email] = nip or nik or ""
    return people, emails


def plan_for(
    db: Session,
    *,
    content: bytes,
    filename: str,
    opd_scope_id: int | None,
    today: date,
    actor: User | None = None,
) -> ImportPlan:
    rows, problems = parse_import(content, filename, today=today)
    existing, emails = _existing(db)
    opds = db.execute(select(Opd.id, Opd.code, Opd.name).where(Opd.active.is_(True))).all()
    plan = plan_import(
        rows,
        existing=existing,
        existing_emails=emails,
        opds_by_code={code: oid for oid, code, _ in opds},
        opds_by_name={name: oid for oid, _, name in opds},
        allowed_opd_ids=None if opd_scope_id is None else {opd_scope_id},
        problems=problems,
    )
    if opd_scope_id is not None and actor is not None:
        _keep_to_lower_ranks(db, plan, actor=actor, opd_id=opd_scope_id)
    return plan


def _keep_to_lower_ranks(db: Session, plan: ImportPlan, *, actor: User, opd_id: int) -> None:
    """An OPD admin's file may not change the records of people ranked at or above them
    (app.users.scope): their OPD's admins and Diskominfo staff stay as they are.

    City admins' imports are the city's HR data and update everyone."""
    protected = set(
        db.scalars(select(User.id).where(User.opd_id == opd_id, not_(manageable_condition(actor))))
    )
    kept = []
    for planned in plan.update:
        if planned.person.user_id in protected:
            plan.rejected.append(
                RowProblem(
                    planned.row.row,
                    _("Data pegawai ini hanya dapat diubah oleh admin dengan peran lebih tinggi"),
                )
            )
        else:
            kept.append(planned)
    plan.update = kept
    plan.rejected.sort(key=lambda problem: problem.row)


def predicted_assignments(db: Session, plan: ImportPlan) -> int:
    """How many course enrolments applying `plan` will create through the assignment rules
    (shown on the preview). New people: every active rule that covers them. Updated people:
    rules that cover their new record, for courses they are not enrolled in yet."""
    rules = active_rules(db)
    if not rules:
        return 0
    total = 0
    for planned in plan.create:
        row = planned.row
        total += sum(
            rule_covers(rule, opd_id=planned.opd_id, status=row.status, tmt=row.tmt, nip=row.nip)
            for rule in rules
        )
    if plan.update:
        ids = [planned.person.user_id for planned in plan.update]
        enrolled = set(
            db.execute(
                select(Enrolment.user_id, Enrolment.course_id).where(Enrolment.user_id.in_(ids))
            ).tuples()
        )
        for planned in plan.update:
            person, row = planned.person, planned.row
            opd_id = planned.diff.get("opd_id", (None, person.opd_id))[1]
            status = planned.diff.get("status", (None, person.status))[1]
            nip = planned.diff.get("nip", (None, row.nip))[1]
            total += sum(
                (person.user_id, rule.course_id) not in enrolled
                and rule_covers(rule, opd_id=opd_id, status=str(status), tmt=row.tmt, nip=nip)
                for rule in rules
            )
    return total


def _problem_dicts(plan: ImportPlan) -> list[dict]:
    return [
        {"row": p.row, "reason": p.reason, "level": p.level}
        for p in [*plan.rejected, *plan.warnings]
    ]


def create_job(
    db: Session, *, actor: User, content: bytes, filename: str, now: datetime
) -> ImportJob:
    """Store the upload and its preview. Nothing about people is written."""
    if len(content) > MAX_BYTES:
        raise ImportError_(_("Berkas terlalu besar (maksimal 10 MB)."))
    scope = act_scope(actor).limited_to
    plan = plan_for(
        db,
        content=content,
        filename=filename,
        opd_scope_id=scope,
        today=citytime.today(now),
        actor=actor,
    )
    job = ImportJob(
        created_by=actor.id,
        opd_scope_id=scope,
        filename=filename[:255],
        content=content,
        created_at=now,
        status="previewed",
        counts={**plan.counts(), "assignments": predicted_assignments(db, plan)},
        problems=_problem_dicts(plan),
        total=len(plan.create) + len(plan.update),
    )
    db.add(job)
    record(db, action="import.previewed", actor_id=actor.id, target=filename[:200], **plan.counts())
    db.commit()
    return job


def visible_job(db: Session, *, job_id: int, user: User) -> ImportJob | None:
    job = db.get(ImportJob, job_id)
    if job is None:
        return None
    if user.has_role(Role.admin) or job.created_by == user.id:
        return job
    return None


def start(db: Session, *, job: ImportJob) -> bool:
    """Mark a previewed job running (only once, even if confirmed twice). A preview that
    would change nothing (every row rejected or unchanged) is never started."""
    if not (job.counts.get("create") or job.counts.get("update")):
        return False
    won = db.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == "previewed")
        .values(status="running", processed=0)
    ).rowcount
    db.commit()
    return bool(won)


def apply_plan(
    db: Session,
    plan: ImportPlan,
    *,
    actor_id: int | None,
    now: datetime,
    job_id: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write the plan, one transaction per batch of BATCH people; returns the counts."""
    touched: list[int] = []
    done = 0
    for start_at in range(0, len(plan.create), BATCH):
        touched += _create_batch(db, plan.create[start_at : start_at + BATCH], now)
        done += len(plan.create[start_at : start_at + BATCH])
        if on_batch:
            on_batch(done)
        db.commit()
    for start_at in range(0, len(plan.update), BATCH):
        batch = plan.update[start_at : start_at + BATCH]
        touched += _update_batch(db, batch, actor_id=actor_id, job_id=job_id)
        done += len(batch)
        if on_batch:
            on_batch(done)
        db.commit()
    assigned = 0
    for start_at in range(0, len(touched), BATCH):
        assigned += apply_rules(db, now=now, user_ids=touched[start_at : start_at + BATCH])
        db.commit()
    return {**plan.counts(), "assigned": assigned}


def apply_job(maker: sessionmaker, *, job_id: int, clock: Callable[[], datetime]) -> None:
    """Re-plan the job's file against the current database and apply it.

    Each batch is one transaction; a crash leaves whole batches only, and running the same
    file again creates just what is missing (the import is keyed by NIP/NIK).
    """
    with maker() as db:
        job = db.get(ImportJob, job_id)
        now = clock()
        try:
            plan = plan_for(
                db,
                content=job.content,
                filename=job.filename,
                opd_scope_id=job.opd_scope_id,
                today=citytime.today(now),
                actor=db.get(User, job.created_by),
            )
            job.total = len(plan.create) + len(plan.update)

            def progress(done: int) -> None:
                job.processed = done

            counts = apply_plan(
                db, plan, actor_id=job.created_by, now=now, job_id=job.id, on_batch=progress
            )
            job.status = "done"
            job.counts = counts
            job.problems = _problem_dicts(plan)
            job.processed = job.total
            job.finished_at = clock()
            record(
                db,
                action="import.applied",
                actor_id=job.created_by,
                target=job.filename,
                job=job.id,
                **counts,
            )
            db.commit()
        except Exception:
            db.rollback()
            db.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(status="failed", finished_at=clock())
            )
            db.commit()
            raise


def _create_batch(db: Session, batch, now: datetime) -> list[int]:
    values = [
        {
            "nip": row.nip,
            "nik": row.nik,
            "full_name": row.full_name,
            "email": row.email,
            "opd_id": opd_id,
            "jabatan": row.jabatan,
            "golongan": row.golongan,
            "tmt": row.tmt,
            "employment_status": row.status,
            "active": True,
            "password_hash": None,
            "locale": "id",
            "created_at": now,
        }
        for row, opd_id in batch
    ]
    ids = list(db.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), values))
    if ids:
        db.execute(insert(UserRole), [{"user_id": uid, "role": Role.learner} for uid in ids])
    return ids


_FIELDS = {"full_name", "email", "opd_id", "jabatan", "golongan", "status", "nip"}


def _update_batch(db: Session, batch, *, actor_id: int | None, job_id: int | None) -> list[int]:
    ids = []
    for person, row, diff in batch:
        values = {}
        for name, (_old, new) in diff.items():
            if name not in _FIELDS:
                continue
            values["employment_status" if name == "status" else name] = new
        if row.tmt:
            values["tmt"] = row.tmt
        db.execute(update(User).where(User.id == person.user_id).values(**values))
        # The change is recorded per person: their history (enrolments, certificates)
        # stays attached to the same account.
        record(
            db,
            action="user.updated_by_import",
            actor_id=actor_id,
            target=str(person.user_id),
            changes={k: [str(o), str(n)] for k, (o, n) in diff.items()},
            job=job_id,
        )
        ids.append(person.user_id)
    return ids

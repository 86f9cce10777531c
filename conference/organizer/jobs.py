"""Badge PDFs made in the background. The job's row holds its progress and the finished file's name,
so any app worker (or server) can report on it; the file lives in the instance folder."""
from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update

from conference.attendees.models import ROLES, Attendee
from conference.badges.codes import display
from conference.errors import DomainError
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.names import family_initial, family_sort_key
from conference.organizer.badges_pdf import BadgeData, write_badges
from conference.organizer.models import LAYOUTS, BadgeJob, ImportBatch, Organizer

CODE_SLOT = "CODE"
STALLED_AFTER = timedelta(minutes=2)
KEEP_FILES = timedelta(days=7)
MAX_BADGES = 25_000


def badge_folder(app: Flask | None = None) -> Path:
    folder = Path((app or current_app).instance_path) / "badges"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def choose_attendees(conference: Conference, which: str, batch_id: int | None = None, letter_from: str = "",
                     letter_to: str = "", ids: set[int] | None = None) -> tuple[list[int], str]:
    """The attendees to print, sorted by family name (as badge pick-up tables are), and a description.

    which: "all", "batch" (one import), "letters" (family names from one letter to another), "chosen" (ids).
    """
    rows = db.session.execute(select(Attendee.id, Attendee.name, Attendee.import_batch_id)
                              .where(Attendee.conference_id == conference.id)).all()
    if which == "all":
        picked, description = rows, "All registrants"
    elif which == "batch":
        batch = db.session.get(ImportBatch, batch_id or 0)
        if batch is None or batch.conference_id != conference.id:
            raise DomainError("Choose one of this conference's imports.", field="batch_id")
        picked = [r for r in rows if r.import_batch_id == batch.id]
        description = batch.label
    elif which == "letters":
        start, end = family_initial(letter_from or ""), family_initial(letter_to or "")
        if not (start.isalpha() and end.isalpha()):
            raise DomainError("Choose the first and last letter of the family names to print, like A and F.",
                              field="letter_from")
        if end < start:
            start, end = end, start
        picked = [r for r in rows if start <= (family_initial(r.name) or "?") <= end]
        description = f"Family names {start}–{end}"
    elif which == "chosen":
        wanted = ids or set()
        picked = [r for r in rows if r.id in wanted]
        if len(picked) != len(wanted):
            raise DomainError("Some of the chosen people are not registered for this conference.", field="ids")
        description = "Chosen registrants: " + ", ".join(r.name for r in picked[:3]) + (
            f" and {len(picked) - 3} more" if len(picked) > 3 else "")
    else:
        raise DomainError("Choose which badges to print.", field="which")
    if not picked:
        raise DomainError("No registrants match that choice, so there is nothing to print.", field="which")
    if len(picked) > MAX_BADGES:
        raise DomainError(f"At most {MAX_BADGES:,} badges at a time; choose a smaller set.", field="which")
    picked = sorted(picked, key=lambda r: family_sort_key(r.name))
    return [r.id for r in picked], description[:200]


def create_badge_job(conference: Conference, organizer: Organizer | None, layout: str, ids: list[int],
                     description: str) -> BadgeJob:
    """A queued job; the caller commits, then starts it with `launch`."""
    if layout not in LAYOUTS:
        raise DomainError("Choose a layout: sheets of six, or single badges.", field="layout")
    job = BadgeJob(conference_id=conference.id, organizer_id=organizer.id if organizer else None, layout=layout,
                   description=description, attendee_ids=",".join(map(str, ids)), total=len(ids))
    db.session.add(job)
    db.session.flush()
    return job


def badge_data(conference: Conference, ids: list[int], url_template: str) -> list[BadgeData]:
    """What each chosen badge shows, in the order of `ids`. url_template holds CODE_SLOT."""
    found: dict[int, BadgeData] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for row in db.session.execute(select(Attendee.id, Attendee.name, Attendee.role, Attendee.school,
                                             Attendee.state, Attendee.badge_code)
                                      .where(Attendee.conference_id == conference.id, Attendee.id.in_(chunk))):
            found[row.id] = BadgeData(name=row.name, role=ROLES.get(row.role, row.role), school=row.school,
                                      state=row.state, code=row.badge_code,
                                      url=url_template.replace(CODE_SLOT, display(row.badge_code)),
                                      conference=conference.name)
    return [found[i] for i in ids if i in found]


def run_badge_job(job_id: int, url_template: str, folder: Path) -> BadgeJob:
    """Make the job's PDF, writing progress to its row as it goes (committing: runs outside requests)."""
    job = db.session.get(BadgeJob, job_id)
    conference = db.session.get(Conference, job.conference_id)
    job.state, job.updated_at = "running", utcnow()
    db.session.commit()
    name = f"badges-{conference.slug}-{job.id}-{secrets.token_hex(8)}.pdf"
    partial = folder / (name + ".part")
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= 50 or done == job.total:
            last[0] = done
            db.session.execute(update(BadgeJob).where(BadgeJob.id == job_id).values(done=done, updated_at=utcnow()))
            db.session.commit()

    try:
        badges = badge_data(conference, job.ids, url_template)
        write_badges(badges, partial, job.layout, title=f"Badges: {conference.name}", progress=progress)
        partial.rename(folder / name)
    except Exception as error:  # the job row must say it failed, whatever broke
        db.session.rollback()
        partial.unlink(missing_ok=True)
        job = db.session.get(BadgeJob, job_id)
        job.state, job.error, job.finished_at = "failed", f"{type(error).__name__}: {error}"[:500], utcnow()
        db.session.commit()
        current_app.logger.exception("Badge job %s failed", job_id)
        return job
    job = db.session.get(BadgeJob, job_id)
    db.session.refresh(job)
    job.state, job.done, job.file_name, job.finished_at, job.updated_at = "done", job.total, name, utcnow(), utcnow()
    db.session.commit()
    return job


def launch(job: BadgeJob, url_template: str) -> None:
    """Start a committed job: in a background thread, or right here when BADGE_JOBS_INLINE is set
    (tests, and single-threaded scripts)."""
    app = current_app._get_current_object()
    folder = badge_folder(app)
    prune(folder)
    if app.config.get("BADGE_JOBS_INLINE"):
        run_badge_job(job.id, url_template, folder)
        return

    def work(job_id: int) -> None:
        with app.app_context():
            try:
                run_badge_job(job_id, url_template, folder)
            finally:
                db.session.remove()

    threading.Thread(target=work, args=(job.id,), name=f"badge-job-{job.id}", daemon=True).start()


def prune(folder: Path, keep: timedelta = KEEP_FILES) -> None:
    """Badge PDFs older than `keep` are deleted: they hold every attendee's name and badge link."""
    cutoff = time.time() - keep.total_seconds()
    for path in folder.glob("badges-*.pdf*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker pruned it first


def is_stalled(job: BadgeJob) -> bool:
    """A job whose worker went away (restarted mid-way) stops updating its row."""
    return job.state in ("queued", "running") and utcnow() - job.updated_at > STALLED_AFTER


def job_of(conference: Conference, job_id: int) -> BadgeJob:
    job = db.session.get(BadgeJob, job_id)
    if job is None or job.conference_id != conference.id:
        raise DomainError("There is no such badge job for this conference.")
    return job


def recent_jobs(conference: Conference, limit: int = 10) -> list[BadgeJob]:
    return list(db.session.scalars(select(BadgeJob).where(BadgeJob.conference_id == conference.id)
                                   .order_by(BadgeJob.created_at.desc(), BadgeJob.id.desc()).limit(limit)))


def job_file(job: BadgeJob, app: Flask | None = None) -> Path | None:
    if job.state != "done" or not job.file_name:
        return None
    path = badge_folder(app) / job.file_name
    return path if path.exists() else None

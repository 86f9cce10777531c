"""Badge PDFs made by the worker (conference/tasks.py). The job's row holds its progress and the finished
file (conference/files, in the database), so any app server reports on it and hands it out.

A worker that dies mid-job leaves its row `running` with an old `updated_at`: `look_after_badge_jobs`
(every minute) starts such a job again, up to MAX_ATTEMPTS runs, then marks it failed. Each run
claims the row first, so a job enqueued twice still makes one PDF at a time, and a run that lost
its claim writes nothing.
"""
from __future__ import annotations

import io
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import select, update

from conference.attendees.models import Attendee, role_label
from conference.badges.codes import display
from conference.errors import DomainError
from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.files.operations import expired_files, is_available, store_file
from conference.lengths import max_length
from conference.names import family_initial, family_sort_key
from conference.organizer.printing.badges_pdf import BadgeData, write_badges
from conference.urls import public_url
from conference.organizer.access.models import Organizer
from conference.organizer.printing.models import IN_PROGRESS, LAYOUTS, BadgeJob
from conference.organizer.registrants.models import ImportBatch
from conference.privacy.operations import delete_files
from conference.tasks import QUEUE_ERRORS, periodic_task, task

CODE_SLOT = "CODE"


def card_url_template(base: str | None = None) -> str:
    """A badge's card URL with CODE_SLOT for the code, on PUBLIC_BASE_URL (or an operator's `base`):
    built once for a whole PDF, the same inside a request, a task or a command."""
    return public_url("contacts.card", base, code=CODE_SLOT)
MAX_BADGES = 25_000
MAX_ATTEMPTS = 3
PROGRESS_EVERY = 50  # badges between two progress writes (each one also says the worker is alive)


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
    return [r.id for r in picked], description[:max_length(BadgeJob.description)]


def create_badge_job(conference: Conference, organizer: Organizer | None, layout: str, ids: list[int],
                     description: str) -> BadgeJob:
    """A queued job; the caller commits, then hands it to the worker with `launch`."""
    if layout not in LAYOUTS:
        raise DomainError("Choose a layout: sheets of six, or single badges.", field="layout")
    job = BadgeJob(conference_id=conference.id, organizer_id=organizer.id if organizer else None, layout=layout,
                   description=description, attendee_ids=list(ids), total=len(ids))
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
            found[row.id] = BadgeData(name=row.name, role=role_label(row.role), school=row.school,
                                      state=row.state, code=row.badge_code,
                                      url=url_template.replace(CODE_SLOT, display(row.badge_code)),
                                      conference=conference.name, attendee_id=row.id)
    return [found[i] for i in ids if i in found]


def stalled_after() -> timedelta:
    """How long a running job may go without progress before its worker counts as gone."""
    return timedelta(seconds=float(current_app.config.get("BADGE_JOB_STALLED_SECONDS", 120)))


def _claim(job_id: int) -> int | None:
    """Mark a queued job running; the number of this run, or None if another run has it or it is over."""
    now = utcnow()
    claimed = db.session.execute(update(BadgeJob).where(BadgeJob.id == job_id, BadgeJob.state == "queued")
                                 .values(state="running", attempts=BadgeJob.attempts + 1, updated_at=now,
                                         error="")).rowcount == 1
    db.session.commit()
    return db.session.scalar(select(BadgeJob.attempts).where(BadgeJob.id == job_id)) if claimed else None


def _ours(job_id: int, attempt: int):
    return (BadgeJob.id == job_id, BadgeJob.state == "running", BadgeJob.attempts == attempt)


def run_badge_job(job_id: int, url_template: str, retries_left: int = 0) -> BadgeJob | None:
    """Make the job's PDF, writing progress to its row as it goes (committing: runs in the worker).

    A failure with retries left puts the job back in the queue's hands (and raises, so the queue
    retries it); the last failure marks it failed with the reason."""
    attempt = _claim(job_id)
    if attempt is None:
        return None
    job = db.session.get(BadgeJob, job_id)
    conference = db.session.get(Conference, job.conference_id)
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= PROGRESS_EVERY or done == job.total:
            last[0] = done
            db.session.execute(update(BadgeJob).where(*_ours(job_id, attempt)).values(done=done, updated_at=utcnow()))
            db.session.commit()

    try:
        badges = badge_data(conference, job.ids, url_template)
        out = io.BytesIO()
        write_badges(badges, out, job.layout, title=f"Badges: {conference.name}", progress=progress)
        stored = store_file(conference.id, f"badges-{conference.slug}-{job.id}-{job.layout}.pdf", "application/pdf",
                            out.getvalue(), people=[b.attendee_id for b in badges])
        finished = db.session.execute(update(BadgeJob).where(*_ours(job_id, attempt)).values(
            state="done", done=job.total, file_id=stored.id, finished_at=utcnow(), updated_at=utcnow())).rowcount
        if finished:
            db.session.commit()
        else:  # the job was taken away from this run (it stalled and was started again)
            db.session.rollback()
    except Exception as error:  # the job row must say what happened, whatever broke
        db.session.rollback()
        state = "queued" if retries_left > 0 else "failed"
        db.session.execute(update(BadgeJob).where(*_ours(job_id, attempt)).values(
            state=state, error=f"{type(error).__name__}: {error}"[:max_length(BadgeJob.error)], updated_at=utcnow(),
            finished_at=None if state == "queued" else utcnow()))
        db.session.commit()
        current_app.logger.exception("Badge job %s failed (run %s)", job_id, attempt)
        if retries_left > 0:
            raise
    return db.session.get(BadgeJob, job_id)


@task(retries=2, retry_delay=10, context=True)
def make_badge_pdf(job_id: int, url_template: str, task=None) -> None:
    run_badge_job(job_id, url_template, retries_left=task.retries if task is not None else 0)


def launch(job: BadgeJob, url_template: str) -> None:
    """Hand a committed job to the worker. With the queue unreachable the job waits in its row, and
    the minute task enqueues it again once the queue answers."""
    try:
        make_badge_pdf(job.id, url_template)
    except QUEUE_ERRORS:
        current_app.logger.warning("The task queue is unreachable: badge job %s waits for it", job.id)


def is_stalled(job: BadgeJob) -> bool:
    """A job whose worker went away (killed mid-way) stops updating its row."""
    return job.in_progress and utcnow() - job.updated_at > stalled_after()


def recover_stalled() -> int:
    """Start stalled jobs again (until MAX_ATTEMPTS runs), mark the rest failed; returns how many restarted."""
    cutoff = utcnow() - stalled_after()
    stalled = list(db.session.scalars(select(BadgeJob).where(
        BadgeJob.state.in_(IN_PROGRESS), BadgeJob.updated_at < cutoff)))
    restarted = []
    for job in stalled:
        if job.attempts >= MAX_ATTEMPTS:
            values = dict(state="failed", finished_at=utcnow(),
                          error=job.error or "The worker stopped while making this PDF.")
        else:
            values = dict(state="queued")
            restarted.append(job)
        changed = db.session.execute(update(BadgeJob).where(
            BadgeJob.id == job.id, BadgeJob.state == job.state, BadgeJob.attempts == job.attempts,
            BadgeJob.updated_at < cutoff).values(updated_at=utcnow(), **values)).rowcount
        if not changed:
            restarted = [j for j in restarted if j is not job]
    db.session.commit()
    url_template = card_url_template()
    for job in restarted:
        make_badge_pdf(job.id, url_template)
    return len(restarted)


@periodic_task(crontab(minute="*"))
def look_after_badge_jobs() -> None:
    """Every minute: stalled jobs start again; PDFs past their 7 days are deleted."""
    recover_stalled()
    delete_files(expired_files())
    db.session.commit()


def job_of(conference: Conference, job_id: int) -> BadgeJob:
    job = db.session.get(BadgeJob, job_id)
    if job is None or job.conference_id != conference.id:
        raise DomainError("There is no such badge job for this conference.")
    return job


def recent_jobs(conference: Conference, limit: int = 10) -> list[BadgeJob]:
    return list(db.session.scalars(select(BadgeJob).where(BadgeJob.conference_id == conference.id)
                                   .order_by(BadgeJob.created_at.desc(), BadgeJob.id.desc()).limit(limit)))


def job_file_ready(job: BadgeJob) -> bool:
    return job.state == "done" and is_available(job.file_id)

"""Badge PDFs: choosing the badges and a layout, the job's progress, the finished file."""
from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.downloads import download
from conference.errors import DomainError, merge_error
from conference.extensions import db
from conference.files.operations import file_bytes
from conference.htmx import render
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required
from conference.organizer.printing import jobs
from conference.organizer.printing.forms import BadgeForm
from conference.organizer.registrants.importer import import_batches


def _badge_page(conference, form, status=200):
    form.batch_id.choices = [(str(b.id), b.label) for b in import_batches(conference)]
    return render("organizer/badges.html", "badge_form", status=status, conference=conference, form=form,
                  jobs=jobs.recent_jobs(conference), registered=db.session.scalar(
                      select(func.count()).select_from(Attendee).where(Attendee.conference_id == conference.id)))


@bp.route("/<slug>/badges", methods=["GET", "POST"])
@organizer_required
def badges(conference):
    """Choose badges and a layout; the PDF is made in the background."""
    form = BadgeForm() if request.method == "POST" else BadgeForm(formdata=None, **{
        "which": request.args.get("which", "all"), "batch_id": request.args.get("batch_id", "")})
    if form.validate_on_submit():
        try:
            batch_id = int(form.batch_id.data) if (form.batch_id.data or "").isdigit() else None
            ids, description = jobs.choose_attendees(conference, form.which.data, batch_id, form.letter_from.data,
                                                     form.letter_to.data, form.ids.data)
            job = jobs.create_badge_job(conference, g.conference_organizer, form.layout.data, ids, description)
            db.session.commit()
            jobs.launch(job, jobs.card_url_template())
            return redirect(url_for("organizer.badge_job", slug=conference.slug, job_id=job.id), 303)
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    status = 422 if form.errors or form.form_errors else 200
    return _badge_page(conference, form, status)


@bp.get("/<slug>/badges/<int:job_id>")
@organizer_required
def badge_job(conference, job_id: int):
    """A badge job's progress (polled while it runs), then its download link."""
    try:
        job = jobs.job_of(conference, job_id)
    except DomainError:
        abort(404)
    return render("organizer/badge_job.html", "job_status", conference=conference, job=job,
                  stalled=jobs.is_stalled(job), ready=jobs.job_file_ready(job), max_attempts=jobs.MAX_ATTEMPTS)


@bp.get("/<slug>/badges/<int:job_id>.pdf")
@organizer_required
def badge_pdf(conference, job_id: int):
    """The finished PDF."""
    try:
        job = jobs.job_of(conference, job_id)
    except DomainError:
        abort(404)
    data = file_bytes(job.file_id) if job.state == "done" else None
    if data is None:
        abort(404)
    name = f"badges-{conference.slug}-{job.id}-{job.layout}.pdf"
    return download(data, "application/pdf", name)

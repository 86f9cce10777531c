from __future__ import annotations

import json
import re

from flask import (abort, current_app, g, redirect, request,
                   url_for)
from sqlalchemy import and_, false, func, or_, select
from werkzeug.exceptions import RequestEntityTooLarge

from conference.attendees.models import Attendee
from conference.auth.links import send_claim_links
from conference.auth.operations import issue_organizer_token
from conference.urls import public_url
from conference.downloads import download
from conference.errors import DomainError
from conference.exports.tabular import to_csv
from conference.extensions import csrf, db
from conference.files.operations import file_bytes
from conference.htmx import render
from conference.mail import send_mail
from conference.names import search_words
from conference.organizer import bp
from conference.organizer.dashboard import charts, snapshots, stats
from conference.organizer.exports import exporters
from conference.organizer.printing import jobs
from conference.organizer.access import organizer_required, organizer_signed_in
from conference.organizer.forms import (BadgeForm, ConfirmForm, ImportChoicesForm, ImportForm, InterestForm,
                                        InviteForm, SettingsForm, merge_error)
from conference.organizer.registrants.import_columns import FIELDS
from conference.organizer.registrants.importer import (DEFAULT_MAX_BYTES, ImportOptions, choose_columns, discard_upload,
                                           import_batches, import_registrants, keep_upload, preview_import,
                                           take_upload, upload_of)
from conference.organizer.operations import (add_interest, claims_of, conference_interest, conferences_of,
                                             create_organizer, interests_of, organizers_of, rename_interest,
                                             set_retired, unclaimed_ids, update_settings)
from conference.tasks import enqueue

PAGE_SIZE = 50
INVITE_MINUTES = 3 * 24 * 60  # an invitation may wait in an inbox over a weekend




@bp.get("/")
@organizer_signed_in
def index():
    """The conferences this organizer runs."""
    conferences = conferences_of(g.organizer.email)
    if len(conferences) == 1:
        return redirect(url_for("organizer.dashboard", slug=conferences[0].slug))
    return render("organizer/index.html", conferences=conferences)


@bp.get("/<slug>/")
@organizer_required
def dashboard(conference):
    """The live dashboard: figures and charts, refreshed every few seconds while the page is visible."""
    board = snapshots.current_dashboard(conference)
    return render("organizer/dashboard.html", "dashboard", conference=conference, board=board,
                  hours_chart=charts.hours_chart(board.hours), interests_chart=charts.interests_chart(board.interests),
                  hours_summary=charts.hours_summary(board.hours),
                  interests_summary=charts.interests_summary(board.interests))


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@organizer_required
def settings(conference):
    """Name, web address, dates, time zone, venue, and whether joining is open."""
    form = SettingsForm()
    if request.method == "GET":
        form.fill_from(conference)
    if form.validate_on_submit():
        try:
            update_settings(conference, form.to_input())
            db.session.commit()
            return redirect(url_for("organizer.settings", slug=conference.slug, saved=1), 303)
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    status = 422 if form.errors or form.form_errors else 200
    return render("organizer/settings.html", "settings_form", status=status, form=form, conference=conference,
                  saved=bool(request.args.get("saved")))


def _interests_page(conference, add_form=None, status=200, edit_error=None):
    return render("organizer/interests.html", "interest_list", status=status, conference=conference,
                  interests=interests_of(conference), add_form=add_form or InterestForm(formdata=None),
                  action_form=ConfirmForm(), edit_error=edit_error, changed=request.args.get("changed"))


@bp.get("/<slug>/interests")
@organizer_required
def interests(conference):
    """The interest list: add, rename, retire and restore."""
    return _interests_page(conference)


@bp.post("/<slug>/interests")
@organizer_required
def add_interest_view(conference):
    """Add an interest at the end of the list."""
    form = InterestForm()
    if form.validate_on_submit():
        try:
            interest = add_interest(conference, form.name.data)
            db.session.commit()
            return redirect(url_for("organizer.interests", slug=conference.slug, changed=f"Added “{interest.name}”."),
                            303)
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    return _interests_page(conference, add_form=form, status=422)


@bp.post("/<slug>/interests/<int:interest_id>")
@organizer_required
def rename_interest_view(conference, interest_id: int):
    """Rename an interest (profiles that chose it keep it, under the new name)."""
    form = InterestForm()
    try:
        interest = conference_interest(conference, interest_id)
        if not form.validate_on_submit():
            raise DomainError(next(iter(form.errors.values()))[0] if form.errors else "Type the interest's name.")
        old = interest.name
        rename_interest(interest, form.name.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _interests_page(conference, status=422, edit_error=(interest_id, error.message))
    return redirect(url_for("organizer.interests", slug=conference.slug,
                            changed=f"Renamed “{old}” to “{interest.name}”."), 303)


@bp.post("/<slug>/interests/<int:interest_id>/<any(retire, restore):action>")
@organizer_required
def retire_interest_view(conference, interest_id: int, action: str):
    """Retire an interest (hidden from new choices, kept on profiles and in figures), or restore it."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        interest = set_retired(conference_interest(conference, interest_id), action == "retire")
        db.session.commit()
    except DomainError:
        abort(404)
    done = "Retired" if interest.retired else "Restored"
    return redirect(url_for("organizer.interests", slug=conference.slug, changed=f"{done} “{interest.name}”."), 303)


@bp.route("/<slug>/organizers", methods=["GET", "POST"])
@organizer_required
def organizers(conference):
    """Who organizes this conference, and inviting one more by email."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            organizer = create_organizer(conference, form.email.data, invited_by=g.conference_organizer)
            token = issue_organizer_token(organizer, INVITE_MINUTES, url_for("organizer.dashboard", slug=conference.slug))
            db.session.commit()
            send_mail(organizer.email, f"You're invited to organize {conference.name} on PLN Connect",
                      f"Hello,\n\n{g.conference_organizer.email} invited you to organize {conference.name} on PLN Connect.\n\n"
                      f"Open this link to sign in to the organizer console:\n\n"
                      f"{public_url('auth.confirm', token=token)}\n\nIt works once, for 3 days. Later, sign in "
                      f"any time at {public_url('auth.request_link')} with this email.\n")
            return redirect(url_for("organizer.organizers", slug=conference.slug, invited=organizer.email), 303)
        except DomainError as error:
            db.session.rollback()
            merge_error(form, error)
    status = 422 if form.errors or form.form_errors else 200
    return render("organizer/organizers.html", "invite_form", status=status, conference=conference, form=form,
                  organizers=organizers_of(conference), invited=request.args.get("invited"))


def _registrant_query(conference, query: str):
    """Registrants whose name, school, district or email holds every word typed, accents and case
    aside, in name order (the same on SQLite and PostgreSQL: both compare the folded keys)."""
    stmt = select(Attendee).where(Attendee.conference_id == conference.id)
    for typed in query.split()[:6]:
        words = search_words(typed) if "@" not in typed else []  # "ana@" is part of an email only
        stmt = stmt.where(or_(Attendee.email.contains(typed.lower()[:100], autoescape=True),
                              and_(*(Attendee.search_key.contains(w, autoescape=True) for w in words))
                              if words else false()))
    return stmt.order_by(Attendee.name_key, Attendee.id)


@bp.get("/<slug>/registrants")
@organizer_required
def registrants(conference):
    """Registrants and whether they joined; search to reprint one badge."""
    query = request.args.get("q", "").strip()[:200]
    page = db.paginate(_registrant_query(conference, query),
                       per_page=PAGE_SIZE, error_out=False)
    sent = request.args.get("claims_sent", "")
    return render("organizer/registrants.html", "registrant_list", conference=conference, page=page, query=query,
                  badge_form=BadgeForm(formdata=None), claims=claims_of(conference),
                  claims_sent=int(sent) if sent.isdigit() else None)


@bp.post("/<slug>/claim-emails")
@organizer_required
def claim_emails(conference):
    """Email a claim link to every unclaimed registrant, or to the ticked ones (through the worker)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = None
    if request.form.get("which") == "chosen":
        chosen = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    ids = unclaimed_ids(conference, chosen)
    if ids:
        enqueue(send_claim_links, ids)
    return redirect(url_for("organizer.registrants", slug=conference.slug, claims_sent=len(ids)), 303)


@bp.route("/<slug>/import", methods=["GET", "POST"])
@csrf.exempt  # checked by ImportForm itself, after the larger upload limit below is set
@organizer_required
def import_view(conference):
    """Upload a CSV of registrants; it is kept for its preview, and nothing is imported yet."""
    limit = current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    context = dict(conference=conference, limit=limit, batches=import_batches(conference), result=None)
    if request.method == "GET":
        return render("organizer/import.html", "import_area", form=ImportForm(formdata=None), **context)
    request.max_content_length = limit + 512 * 1024
    try:
        form = ImportForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.file.errors = [f"This file is larger than {limit / 1_048_576:.0f} MB. Split it into smaller files and "
                            "import each."]
        return render("organizer/import.html", "import_area", status=413, form=form, **context)
    if not valid:
        if "csrf_token" in form.errors:
            abort(400)
        return render("organizer/import.html", "import_area", status=422, form=form, **context)
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        form.file.errors = ["Choose the CSV file with your registrants."]
        return render("organizer/import.html", "import_area", status=422, form=form, **context)
    try:
        kept = keep_upload(conference, g.conference_organizer, upload.filename, upload.read(limit + 1), max_bytes=limit)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return render("organizer/import.html", "import_area", status=422, form=form, **context)
    return redirect(url_for("organizer.import_preview", slug=conference.slug, token=kept.id), 303)


@bp.route("/<slug>/import/<token>", methods=["GET", "POST"])
@organizer_required
def import_preview(conference, token: str):
    """What importing the uploaded file would do, column by column and row by row; choose columns by
    hand, then import it (exactly as last previewed) or discard it."""
    limit = current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    try:
        upload = upload_of(conference, token)
    except DomainError as error:
        return _upload_gone(conference, error.message)
    options = ImportOptions.from_json(upload.choices)
    form = ImportChoicesForm(formdata=None, default_role=options.default_role)
    if request.method == "POST":
        form = ImportChoicesForm()
        if not form.validate_on_submit():
            abort(400)
        action = form.action.data
        if action == "discard":
            discard_upload(conference, token)
            db.session.commit()
            return redirect(url_for("organizer.import_view", slug=conference.slug), 303)
        changed = form.changed_columns(request.form)
        chosen = ImportOptions({} if action == "reset" else {**options.columns, **changed}, form.default_role.data or "")
        if action == "import" and chosen == options:
            try:
                take_upload(conference, token)
            except DomainError as error:  # imported a moment ago from another tab
                db.session.rollback()
                return _upload_gone(conference, error.message)
            try:
                result = import_registrants(conference, upload.data, filename=upload.filename, organizer=g.conference_organizer,
                                            max_bytes=limit, options=options)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                return _preview_page(conference, upload, options, form, error=error.message)
            return render("organizer/import.html", "import_area", form=ImportForm(formdata=None), conference=conference,
                          limit=limit, batches=import_batches(conference), result=result, filename=upload.filename,
                          fields=FIELDS)
        choose_columns(upload, chosen)
        db.session.commit()
        return redirect(url_for("organizer.import_preview", slug=conference.slug, token=token,
                                changed=1 if action == "import" else None), 303)
    return _preview_page(conference, upload, options, form)


def _upload_gone(conference, message: str):
    form = ImportForm(formdata=None)
    form.file.errors = [message]
    return render("organizer/import.html", "import_area", status=404, form=form, conference=conference,
                  limit=current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
                  batches=import_batches(conference), result=None)


def _preview_page(conference, upload, options, form, error: str = ""):
    limit = current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    try:
        preview = preview_import(conference, upload.data, options, max_bytes=limit)
    except DomainError as unreadable:
        preview, error = None, unreadable.message
    status = 422 if error or (preview and preview.blocked) else 200
    return render("organizer/import_preview.html", "preview_area", status=status, conference=conference,
                  upload=upload, preview=preview, form=form, error=error, fields=FIELDS,
                  changed=bool(request.args.get("changed")))


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


@bp.get("/<slug>/exports")
@organizer_required
def exports(conference):
    """Downloads for the board, sponsors and researchers."""
    return render("organizer/exports.html", conference=conference)


def _stem(conference) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", conference.slug)


@bp.get("/<slug>/figures.csv")
@organizer_required
def figures_csv(conference):
    """The dashboard's figures as CSV (one long table), as fresh as the dashboard's."""
    rows = exporters.figures_rows(conference, snapshots.current_dashboard(conference))
    return download(to_csv(rows), "text/csv", f"{_stem(conference)}-figures.csv")


@bp.get("/<slug>/figures.json")
@organizer_required
def figures_json(conference):
    """The dashboard's figures as JSON (fields in docs/organizer-exports.md)."""
    body = json.dumps(exporters.figures_json(conference, snapshots.current_dashboard(conference)), ensure_ascii=False,
                      indent=1)
    return download(body, "application/json", f"{_stem(conference)}-figures.json")


@bp.get("/<slug>/connections-per-hour.csv")
@organizer_required
def hours_csv(conference):
    """Connections saved in each hour, in the venue's time zone and in UTC."""
    rows = exporters.hours_rows(conference, stats.connections_per_hour(conference))
    return download(to_csv(rows), "text/csv", f"{_stem(conference)}-connections-per-hour.csv")


@bp.get("/<slug>/network.graphml")
@organizer_required
def network(conference):
    """The anonymised network for researchers: random ids made for this download only."""
    body = exporters.graphml(conference)  # queries done; the text streams without the database
    return download(body, "application/graphml+xml", f"{_stem(conference)}-network.graphml")


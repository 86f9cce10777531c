"""Registrants: the list and its search, claim links by email, and importing a CSV through its preview."""
from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for
from sqlalchemy import and_, false, or_, select
from werkzeug.exceptions import RequestEntityTooLarge

from conference.attendees.models import Attendee
from conference.auth.forms import ConfirmForm
from conference.auth.links import send_claim_links
from conference.errors import DomainError
from conference.extensions import csrf, db
from conference.htmx import render
from conference.names import search_words
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required
from conference.organizer.printing.forms import BadgeForm
from conference.organizer.registrants.forms import ImportChoicesForm, ImportForm
from conference.organizer.registrants.import_columns import FIELDS
from conference.organizer.registrants.importer import (DEFAULT_MAX_BYTES, ImportOptions, choose_columns,
                                                       discard_upload, import_batches, import_registrants,
                                                       keep_upload, preview_import, take_upload, upload_of)
from conference.organizer.registrants.operations import claims_of, unclaimed_ids
from conference.tasks import enqueue

PAGE_SIZE = 50


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

from __future__ import annotations

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from conference.attendees.models import CHANNELS
from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.badges.codes import MalformedCode, display, normalise
from conference.contacts import bp
from conference.contacts.cards import card_for
from conference.contacts.forms import NoteForm, SaveContactForm
from conference.contacts.operations import (attendee_by_code, connection_between, contacts_for, owned_connection,
                                            remove_contact, save_contact, savers_of, update_note, visible_channels)
from conference.errors import DomainError
from conference.extensions import db, htmx
from conference.htmx import render
from conference.interests.operations import match_between
from conference.interests.models import Interest
from conference.privacy.operations import is_retired
from conference import ratelimits


def _channels(subject, viewer):
    order = list(CHANNELS)
    return sorted(visible_channels(subject, viewer), key=lambda c: order.index(c.kind))


def _card_context(subject, form=None, saved=False, status=200):
    me = g.attendee
    connection = connection_between(me, subject) if me and me.id != subject.id else None
    if form is None:
        form = SaveContactForm(formdata=None, note=connection.note if connection else "",
                               tags=", ".join(connection.tag_list) if connection else "")
    same_conference = me is not None and me.conference_id == subject.conference_id
    return dict(subject=subject, form=form, connection=connection, saved=saved, status=status,
                channels=_channels(subject, me), code=display(subject.badge_code),
                match=match_between(me, subject) if same_conference else None,
                same_conference=same_conference,
                # "Hide me ... from the signed-out card": nothing identifying outside the conference.
                private=subject.hidden and not same_conference)


def _unknown_code(typed: str, message: str):
    return render("badges/enter.html", typed=typed, error=message, status=404, not_found=True)


@bp.get("/c/<code>")
@ratelimits.badge_lookup
def card(code: str):
    """A badge's card: who this is, what we share, and Save with a note."""
    try:
        normal = normalise(code)
    except MalformedCode as bad:
        return _unknown_code(code, str(bad))
    found = card_for(normal, session.get("attendee_id"))
    if found is None:
        if is_retired(normal):
            return render("badges/enter.html", typed=code, status=410, not_found=True, removed=True,
                          error="This badge was removed: its owner deleted their account.")
        return _unknown_code(code, "No badge has this code. Check it against the badge and type it again.")
    subject, connection = found.subject, found.connection
    g.own_viewer = True  # the card read its viewer itself: `me` below, not g.attendee
    return render("contacts/card.html", me=found.viewer, subject=subject, connection=connection,
                  form=SaveContactForm(formdata=None, note=connection.note if connection else "",
                                       tags=", ".join(connection.tag_list) if connection else ""),
                  saved=bool(request.args.get("saved")), status=200, channels=found.visible_channels,
                  code=display(normal), same_conference=found.same_conference,
                  match=match_between(found.viewer, subject) if found.same_conference else None,
                  private=subject.hidden and not found.same_conference)


@bp.post("/c/<code>/save")
@login_required
def save(code: str):
    """Save (or update) this person in my contacts."""
    try:
        subject = attendee_by_code(normalise(code))
    except MalformedCode:
        subject = None
    if subject is None:
        return _unknown_code(code, "No badge has this code, so there was nobody to save.")
    form = SaveContactForm()
    if form.validate_on_submit():
        try:
            save_contact(g.attendee, subject, form.note.data or "", form.tags.data or "")
            if form.next.data == "contacts":
                response = redirect(url_for("contacts.index"), 303)
            elif htmx and not htmx.boosted:
                # Rendered before the commit, while both people are still loaded (no reload after it).
                response = render("contacts/card.html", "save_form", **_card_context(subject, saved=True))
            else:
                response = redirect(url_for("contacts.card", code=display(subject.badge_code), saved=1), 303)
            db.session.commit()
            return response
        except DomainError as error:
            db.session.rollback()
            if error.field in ("note", "tags"):
                form[error.field].errors = [error.message]
            else:
                form.form_errors.append(error.message)
    return render("contacts/card.html", "save_form", **_card_context(subject, form=form, status=422))


def _interest_filter() -> int | None:
    value = request.args.get("interest", "")
    return int(value) if value.isdigit() else None


@bp.get("/me/contacts")
@login_required
def index():
    """My contacts, newest first, with search as I type and a filter by interest."""
    me = g.attendee
    query = request.args.get("q", "")[:200]
    interest_id = _interest_filter()
    total, savers = savers_of(me)
    interests = list(db.session.scalars(select(Interest).where(Interest.conference_id == me.conference_id)
                                        .order_by(Interest.position, Interest.name)))
    return render("contacts/index.html", "contact_list", contacts=contacts_for(me, query, interest_id),
                  query=query, interest_id=interest_id, interests=interests, saved_me=total, savers=savers,
                  save_back_form=ConfirmForm())


def _owned(connection_id: int):
    try:
        return owned_connection(g.attendee, connection_id)
    except DomainError:
        abort(404)


@bp.get("/me/contacts/<int:connection_id>")
@login_required
def show(connection_id: int):
    """One contact: their card, my note, their vCard."""
    connection = _owned(connection_id)
    return render("contacts/show.html", **_show_context(connection))


def _show_context(connection, form=None, editing=False) -> dict:
    contact = connection.contact  # None: they deleted their account
    return dict(connection=connection, subject=contact, editing=editing, remove_form=ConfirmForm(),
                channels=_channels(contact, g.attendee),
                match=match_between(g.attendee, contact) if contact is not None else None,
                form=form or NoteForm(formdata=None, note=connection.note, tags=", ".join(connection.tag_list)))


@bp.route("/me/contacts/<int:connection_id>/note", methods=["GET", "POST"])
@login_required
def note(connection_id: int):
    """Edit the note in place: htmx swaps the note block; without JS it is a page."""
    connection = _owned(connection_id)
    form = NoteForm(formdata=None, note=connection.note, tags=", ".join(connection.tag_list))
    editing, status = True, 200
    if request.method == "POST":
        form = NoteForm()
        if form.validate_on_submit():
            try:
                update_note(g.attendee, connection.id, form.note.data or "", form.tags.data or "")
                db.session.commit()
                if not htmx or htmx.boosted:
                    return redirect(url_for("contacts.show", connection_id=connection.id), 303)
                editing = False
            except DomainError as error:
                db.session.rollback()
                form[error.field or "note"].errors = [error.message]
                status = 422
        else:
            status = 422
    if request.method == "GET" and request.args.get("cancel"):
        editing = False
    return render("contacts/show.html", "note_block", status=status,
                  **_show_context(connection, form=form, editing=editing))


@bp.post("/me/contacts/<int:connection_id>/delete")
@login_required
def delete(connection_id: int):
    """Remove a contact from my list (they are not told)."""
    connection = _owned(connection_id)
    if ConfirmForm().validate_on_submit():
        remove_contact(g.attendee, connection.id)
        db.session.commit()
    return redirect(url_for("contacts.index"), 303)

from __future__ import annotations

from flask import g, redirect, request, session, url_for
from sqlalchemy import select

from conference.auth import login_required, session_viewer
from conference.auth.forms import ConfirmForm
from conference.badges.codes import MalformedCode, display, normalise
from conference.badges.operations import is_retired
from conference.contacts import bp
from conference.contacts.cards import card_for
from conference.contacts.cold import remember_cold_scan, saved_from_badges
from conference.contacts.forms import NoteForm, SaveContactForm
from conference.contacts.operations import (NOTE_LIMIT, REMOVED_BADGE, TAGS_TYPED, contact_list, owned_connection,
                                            remove_contact, save_from_card, savers_of, update_note, visible_channels)
from conference.errors import DomainError, or_404
from conference.extensions import db, htmx
from conference.htmx import render
from conference.interests.operations import match_between
from conference.interests.models import Interest
from conference import ratelimits
from conference.auth.links import send_claim_link
from conference.tasks import enqueue
from conference.urls import to_sign_in


def _unknown_code(typed: str, message: str):
    return render("badges/enter.html", typed=typed, error=message, status=404, not_found=True)


def _find_card(code: str, for_update: bool = False, missing: str | None = None):
    """The card behind a typed or scanned code, or the page to show instead: why the code found
    nobody (malformed, removed, unknown), or the one message `missing` if given."""
    try:
        normal = normalise(code)
    except MalformedCode as bad:
        ratelimits.badge_missed()
        return None, _unknown_code(code, missing or str(bad))
    viewer_id, version = session_viewer()
    found = card_for(normal, viewer_id, for_update, version)
    if found is None:
        ratelimits.badge_missed()
    if found is None and missing:
        return None, _unknown_code(code, missing)
    if found is None and is_retired(normal):
        return None, render("badges/enter.html", typed=code, status=410, not_found=True, removed=True,
                            error=REMOVED_BADGE)
    if found is None:
        return None, _unknown_code(code, "No badge has this code. Check it against the badge and type it again.")
    return found, None


def _card_page(found, block=None, form=None, connection=None, saved=False, status=200):
    """The card (or, for htmx, one block of it) as its viewer sees it; `form` holds what was typed."""
    subject = found.subject
    g.own_viewer = True  # the card read its viewer in its own query: `me` below, not g.attendee
    return render("contacts/card.html", block, me=found.viewer, subject=subject, form=form, note_limit=NOTE_LIMIT,
                  tags_limit=TAGS_TYPED,
                  connection=connection or found.connection, saved=bool(saved), status=status,
                  carried=saved == "badge",
                  channels=found.visible_channels, code=display(found.code),
                  same_conference=found.same_conference, meeting_times=found.meeting_times,
                  match=match_between(found.viewer, subject) if found.same_conference else None,
                  # "Hide me ... from the signed-out card": nothing identifying outside the conference.
                  private=subject.hidden and not found.same_conference)


@bp.get("/c/<code>")
@ratelimits.badge_lookup
def card(code: str):
    """A badge's card: who this is, what we share, and Save with a note."""
    found, instead = _find_card(code)
    if instead:
        return instead
    if found.viewer is None:  # opened before joining: saved for them once they join or sign in here
        remember_cold_scan(found.code)
    return _card_page(found, saved=request.args.get("saved", ""))


@bp.post("/c/<code>/claim")
@ratelimits.claim_request
def claim(code: str):
    """"Is this you?": a sign-in link to the address the organizer has for this badge. The same answer
    whatever the code, and the lookup happens in the worker."""
    if ConfirmForm().validate_on_submit():
        try:
            enqueue(send_claim_link, normalise(code))
        except MalformedCode:
            pass
    return render("contacts/claim_sent.html", code=code[:40])


@bp.post("/c/<code>/save")
@ratelimits.badge_lookup
def save(code: str):
    """Save (or update) this person in my contacts."""
    if not session.get("attendee_id"):
        return to_sign_in()
    back_to_contacts = request.form.get("next") == "contacts"  # "Save back" on my contacts page
    found, instead = _find_card(code, for_update=True, missing="No badge has this code, so there was nobody to save.")
    if found is None:
        if back_to_contacts:
            return _contacts_page(save_back_error="That person has left PLN Connect, so they can't be saved.",
                                  status=404)
        return instead
    if found.viewer is None:  # signed in as someone whose account is gone
        return to_sign_in()
    form = SaveContactForm()
    if form.validate_on_submit():
        try:
            connection = save_from_card(found, form.note.data or "", form.tags.data or "")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            if back_to_contacts:  # the page the button was on, with the reason beside its list
                return _contacts_page(save_back_error=error.message, status=422)
            if error.field in ("note", "tags"):
                form[error.field].errors = [error.message]
            else:
                form.form_errors.append(error.message)
        else:
            if form.next.data == "contacts":
                return redirect(url_for("contacts.index"), 303)
            if htmx and not htmx.boosted:
                return _card_page(found, "save_form", connection=connection, saved=True)
            return redirect(url_for("contacts.card", code=display(found.code), saved=1), 303)
    return _card_page(found, "save_form", form=form, status=422)


def _interest_filter() -> int | None:
    value = request.args.get("interest", "")
    return int(value) if value.isdigit() else None


@bp.get("/me/contacts")
@login_required
def index():
    """My contacts, newest first, with search as I type and a filter by interest."""
    return _contacts_page()


def _contacts_page(save_back_error: str | None = None, status: int = 200):
    me = g.attendee
    query = request.args.get("q", "")[:200]
    interest_id = _interest_filter()
    total, savers = savers_of(me)
    interests = list(db.session.scalars(select(Interest).where(Interest.conference_id == me.conference_id)
                                        .order_by(Interest.position, Interest.name)))
    from_badges = saved_from_badges() if request.args.get("from_badges") else []
    response = render("contacts/index.html", None if save_back_error else "contact_list", status=status,
                      contacts=contact_list(me, query, interest_id), query=query, interest_id=interest_id,
                      interests=interests, saved_me=total, savers=savers, save_back_form=ConfirmForm(),
                      save_back_error=save_back_error,
                      from_badges=[c for c in contact_list(me) if c.id in from_badges] if from_badges else [])
    if save_back_error:  # answering a POST elsewhere: the address bar shows this page, not the POST's URL
        response.headers["HX-Push-Url"] = url_for("contacts.index")
    return response


@bp.get("/me/contacts/<int:connection_id>")
@login_required
def show(connection_id: int):
    """One contact: their card, my note, their vCard."""
    connection = or_404(owned_connection, g.attendee, connection_id)
    return render("contacts/show.html", **_show_context(connection))


def _show_context(connection, form=None, editing=False) -> dict:
    contact = connection.contact  # None: they deleted their account
    return dict(connection=connection, subject=contact, editing=editing, remove_form=ConfirmForm(),
                channels=visible_channels(contact, g.attendee),
                match=match_between(g.attendee, contact) if contact is not None else None,
                form=form or NoteForm(formdata=None, note=connection.note, tags=", ".join(connection.tag_list)))


@bp.route("/me/contacts/<int:connection_id>/note", methods=["GET", "POST"])
@login_required
def note(connection_id: int):
    """Edit the note in place: htmx swaps the note block; without JS it is a page."""
    connection = or_404(owned_connection, g.attendee, connection_id)
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
    connection = or_404(owned_connection, g.attendee, connection_id)
    if ConfirmForm().validate_on_submit():
        remove_contact(g.attendee, connection.id)
        db.session.commit()
    return redirect(url_for("contacts.index"), 303)

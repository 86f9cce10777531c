"""The conference's settings page and its interest list."""
from __future__ import annotations

from flask import abort, redirect, request, url_for

from conference.auth.forms import ConfirmForm
from conference.errors import DomainError, merge_error
from conference.extensions import db
from conference.htmx import render
from conference.interests.models import Interest
from conference.lengths import max_length
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required
from conference.organizer.settings.forms import InterestForm, SettingsForm
from conference.organizer.settings.operations import (add_interest, conference_interest, interests_of, rename_interest,
                                                      set_retired, update_settings)


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
    """The page; `edit_error` is (interest id, message, the name typed) for a rename refused."""
    return render("organizer/interests.html", "interest_list", status=status, conference=conference,
                  interests=interests_of(conference), add_form=add_form or InterestForm(formdata=None),
                  name_length=max_length(Interest.name), action_form=ConfirmForm(), edit_error=edit_error,
                  changed=request.args.get("changed"))


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
        return _interests_page(conference, status=422,
                               edit_error=(interest_id, error.message, request.form.get("name", "")))
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

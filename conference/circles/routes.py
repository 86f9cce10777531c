from __future__ import annotations


from flask import abort, g, redirect, request, url_for

from conference.auth import login_required
from conference.auth.forms import ConfirmForm
from conference.downloads import download, file_slug
from conference.circles import bp
from conference.circles.forms import CircleForm, MembersForm
from conference.circles.operations import (add_members, candidates_for, circle_vcards, circles_for, create_circle,
                                           delete_circle, group_text, handles_of, members_of, owned_circle,
                                           remove_member)
from conference.errors import DomainError
from conference.extensions import db
from conference.htmx import render


def _circle(circle_id: int):
    try:
        return owned_circle(g.attendee, circle_id)
    except DomainError:
        abort(404)


@bp.route("/me/circles", methods=["GET", "POST"])
@login_required
def index():
    """My circles, and a form to start one."""
    form = CircleForm()
    status = 200
    if form.validate_on_submit():
        try:
            circle = create_circle(g.attendee, form.name.data)
            db.session.commit()
            return redirect(url_for("circles.show", circle_id=circle.id, created=1), 303)
        except DomainError as error:
            db.session.rollback()
            form.name.errors = [error.message]
    if form.errors:
        status = 422
    return render("circles/index.html", status=status, form=form, circles=circles_for(g.attendee))


def _show(circle, members_form=None, status=200, **extra):
    members = members_of(circle)
    handles = handles_of(g.attendee, members)
    return render("circles/show.html", status=status, circle=circle, members=members,
                  candidates=candidates_for(g.attendee, circle), sms=group_text(g.attendee, members),
                  handles=handles, handles_text=handles.text(), members_form=members_form or MembersForm(formdata=None),
                  action_form=ConfirmForm(), **extra)


@bp.get("/me/circles/<int:circle_id>")
@login_required
def show(circle_id: int):
    """One circle: its members, a group text link, handles to copy, the vCard file."""
    return _show(_circle(circle_id), created=bool(request.args.get("created")),
                 added=request.args.get("added", type=int))


@bp.post("/me/circles/<int:circle_id>/members")
@login_required
def add(circle_id: int):
    """Add contacts to the circle."""
    circle = _circle(circle_id)
    form = MembersForm()
    if form.validate_on_submit():
        try:
            added = add_members(g.attendee, circle.id, set(form.members.data or ()))
            db.session.commit()
            return redirect(url_for("circles.show", circle_id=circle.id, added=added), 303)
        except DomainError as error:
            db.session.rollback()
            form.members.errors = [error.message]
    return _show(circle, members_form=form, status=422)


@bp.post("/me/circles/<int:circle_id>/members/<int:connection_id>/remove")
@login_required
def remove(circle_id: int, connection_id: int):
    """Take a contact out of the circle (they stay in my contacts)."""
    circle = _circle(circle_id)
    if ConfirmForm().validate_on_submit():
        remove_member(g.attendee, circle.id, connection_id)
        db.session.commit()
    return redirect(url_for("circles.show", circle_id=circle.id), 303)


@bp.post("/me/circles/<int:circle_id>/delete")
@login_required
def delete(circle_id: int):
    """Delete the circle (its people stay in my contacts)."""
    circle = _circle(circle_id)
    if ConfirmForm().validate_on_submit():
        delete_circle(g.attendee, circle.id)
        db.session.commit()
    return redirect(url_for("circles.index"), 303)


@bp.get("/me/circles/<int:circle_id>.vcf")
@login_required
def vcard_file(circle_id: int):
    """The whole circle as one vCard file."""
    circle = _circle(circle_id)
    return download(circle_vcards(g.attendee, circle), "text/vcard", f"{file_slug(circle.name, 'circle')}.vcf")

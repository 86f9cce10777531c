from __future__ import annotations

import json

from flask import g, redirect, render_template, url_for

from conference.auth import login_required, sign_out
from conference.downloads import download, file_slug
from conference.extensions import db
from conference.htmx import render
from conference.privacy import bp
from conference.privacy.forms import DeleteAccountForm
from conference.privacy.operations import delete_account, my_data


@bp.get("/privacy")
def policy():
    """What we store, who sees what, how long we keep it, how to delete it: in plain language."""
    return render_template("privacy/policy.html")


@bp.get("/me/data")
@login_required
def data():
    """Download everything about me, or delete my account."""
    return render("privacy/data.html")


@bp.get("/me/data.json")
@login_required
def data_json():
    """Everything the app holds about me, as one JSON file."""
    body = json.dumps(my_data(g.attendee), ensure_ascii=False, indent=2)
    name = file_slug(g.attendee.conference.name, "pln-connect")
    return download(body, "application/json", f"{name}-my-data.json")


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
def delete():
    """Delete my account, after I confirm."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        delete_account(g.attendee)
        db.session.commit()
        g.attendee = None
        sign_out()
        return redirect(url_for("privacy.deleted"), 303)
    return render("privacy/delete.html", "delete_form", status=422 if form.errors else 200, form=form)


@bp.get("/account-deleted")
def deleted():
    """Confirmation that the account is gone."""
    return render_template("privacy/deleted.html")

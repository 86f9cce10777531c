from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import InputRequired

from conference.lengths import fits
from conference.organizer.access.models import Organizer


class InviteForm(FlaskForm):
    email = EmailField("Their email", filters=[lambda v: v.strip() if v else v],
                       validators=[InputRequired("Enter the email of the person to invite."),
                                   fits(Organizer.email, "That email is too long.")])

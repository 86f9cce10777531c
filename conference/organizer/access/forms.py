from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import InputRequired, Length


class InviteForm(FlaskForm):
    email = EmailField("Their email", filters=[lambda v: v.strip() if v else v],
                       validators=[InputRequired("Enter the email of the person to invite."),
                                   Length(max=254, message="That email is too long.")])

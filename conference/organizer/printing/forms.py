from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import Length

from conference.attendees.forms import IdListField
from conference.organizer.printing.models import LAYOUTS


class BadgeForm(FlaskForm):
    which = RadioField("Which badges", default="all", validate_choice=False, choices=[
        ("all", "Everyone registered"), ("batch", "One import"), ("letters", "Family names from … to …"),
        ("chosen", "Chosen people (a late registrant, a reprint)")])
    batch_id = SelectField("Import", coerce=str, validate_choice=False)
    letter_from = StringField("From letter", validators=[Length(max=1)])
    letter_to = StringField("To letter", validators=[Length(max=1)])
    ids = IdListField("People", default=set)
    layout = RadioField("Layout", default="sheet", validate_choice=False, choices=list(LAYOUTS.items()))

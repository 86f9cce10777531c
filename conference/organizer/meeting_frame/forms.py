from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TimeField
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from conference.lengths import max_length
from conference.meetings.models import MeetingSpot, MeetingTime


class WholeNumberField(IntegerField):
    """A whole number; anything else is the form's error, with a message a person can read. A text
    input, so that what was typed comes back as it was typed."""
    widget = TextInput()

    def __init__(self, label, message: str, **kwargs):
        super().__init__(label, validators=[Optional()], **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if text and not text.isdigit():
            raise ValueError(self.message)
        self.data = int(text[:6]) if text else None


class _OnePageForm(FlaskForm):
    """A form that shares its page with others: its fields' ids start with `id_prefix`, so the
    page's ids stay unique while the posted names stay plain."""
    id_prefix = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in self:
            if item.name != "csrf_token":
                item.id = f"{self.id_prefix}-{item.name}"


class MeetingTimeForm(_OnePageForm):
    id_prefix = "time"
    day = DateField("Day", validators=[Optional()])
    start = TimeField("Starts at", validators=[Optional()])
    minutes = WholeNumberField("Length (minutes)", "Give the length as a number of minutes.")
    label = StringField("Label", description="E.g. “Morning break” or “Reception”.",
                        render_kw={"maxlength": max_length(MeetingTime.label)})


class MeetingRunForm(_OnePageForm):
    id_prefix = "run"
    day = DateField("Day", validators=[Optional()])
    first = TimeField("From", validators=[Optional()])
    until = TimeField("To", validators=[Optional()])
    every = WholeNumberField("Every (minutes)", "Give the minutes between starts as a number.")
    minutes = WholeNumberField("Each lasting (minutes)", "Give the length as a number of minutes.")
    label = StringField("Label", render_kw={"maxlength": max_length(MeetingTime.label)})


class MeetingSpotForm(_OnePageForm):
    id_prefix = "spot"
    name = StringField("Spot", description="E.g. “Networking lounge”.",
                       render_kw={"maxlength": max_length(MeetingSpot.name)})
    capacity = WholeNumberField("Tables", "Give the number of tables as a whole number.",
                                description="How many meetings or huddles fit there at once.")

"""The shapes of the huddle forms; the rules (lengths, sizes, times) are conference/meetings/huddles.py's."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.widgets import TextInput

from conference.attendees.forms import IdListField
from conference.circles.models import Circle
from conference.lengths import max_length
from conference.meetings.huddles import QUESTION_LENGTH
from conference.meetings.models import Huddle


class NumberOrNone(Field):
    """A whole number, or None for blank or anything else (the operation says what is wrong)."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        value = (valuelist[0] if valuelist else "").strip()
        self.raw = value
        self.data = int(value) if value.isdigit() else (None if not value else -1)

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else str(self.data))


class HuddleForm(FlaskForm):
    question = TextAreaField("Your question", render_kw={"maxlength": QUESTION_LENGTH[1]},
                             description="What you are stuck on, in a line: "
                                         f"{QUESTION_LENGTH[0]} to {QUESTION_LENGTH[1]} characters.")
    interests = IdListField("Interests", default=set)
    time = NumberOrNone("Time")
    spot = NumberOrNone("Spot")
    size = NumberOrNone("Seats, you included", default=6)


class CancelForm(FlaskForm):
    reason = StringField("A line for the others", description="Optional, for example: “Called to a meeting.”",
                         render_kw={"maxlength": max_length(Huddle.cancel_reason)})


class CircleFromHuddleForm(FlaskForm):
    name = StringField("Circle name", render_kw={"maxlength": max_length(Circle.name)})

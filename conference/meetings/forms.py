from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from conference.urls import MAX_ROW_ID


def _id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and int(value) <= MAX_ROW_ID else None


class AskForm(FlaskForm):
    """The "Ask to meet" sheet (and "Propose another time"). Which times and spots are allowed, and
    the line's length, are the operation's to check, with a message at the field."""

    time = StringField("Time")
    spot = StringField("Spot")
    message = TextAreaField("A line for them", description="Optional. For example: Let's compare master schedules")

    @property
    def time_id(self) -> int | None:
        return _id(self.time.data)

    @property
    def spot_id(self) -> int | None:
        return _id(self.spot.data)


class CancelForm(FlaskForm):
    reason = StringField("Why you cancel", description="They are told, with this line.")

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, Field, IntegerField, RadioField, SelectField, StringField, TelField,
                     URLField)
from wtforms.validators import InputRequired, Optional, ValidationError

from conference.attendees.models import CHANNELS, GRADE_BANDS, ROLES, Attendee, Channel
from conference.attendees.operations import ProfileInput
from conference.attendees.states import STATES
from conference.lengths import TOO_LONG, fits


class IdListField(Field):
    """Repeated form values as ints; anything that is not a number becomes -1 (an unknown id)."""

    def process_formdata(self, valuelist):
        self.data = {int(v) if v.strip().isdigit() else -1 for v in valuelist}

    def _value(self):
        return ""


class YearsField(IntegerField):
    """A whole number of years; anything else gets a message a person understands."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError("Enter the years in your current role as a number, like 3.") from None


VISIBILITY_CHOICES = [
    ("anyone", "Anyone"),
    ("mutual", "People I save"),
    ("nobody", "Nobody"),
]


class VisibilityField(RadioField):
    """Who sees one channel. An on/off checkbox's "y" or nothing (a page cached on a phone may still
    send one) is understood as anyone or nobody."""

    _SWITCH = {"y": "anyone", "on": "anyone", "true": "anyone", "": "nobody"}

    def process_formdata(self, valuelist):
        if valuelist:
            value = valuelist[0].strip().lower()
            self.data = self._SWITCH.get(value, value)

    def pre_validate(self, form):
        if self.data not in dict(VISIBILITY_CHOICES):
            raise ValidationError("Choose who can see this: anyone, people you save back, or nobody.")


# Who sees a channel a person adds, until they choose: the join email nobody; a phone number or a
# Voxer name (a direct line to the person) only the people they save back; public profiles anyone.
DEFAULT_VISIBILITY = {"email": "nobody", "phone": "mutual", "voxer": "mutual"}


def _channel_fields(cls):
    for kind, label in CHANNELS.items():
        field_class = {"phone": TelField, "email": EmailField, "website": URLField}.get(kind, StringField)
        setattr(cls, f"ch_{kind}", field_class(label, validators=[fits(Channel.value)]))
        setattr(cls, f"ch_{kind}_share", VisibilityField(f"Who sees your {label.lower()}", choices=VISIBILITY_CHOICES,
                                                      default=DEFAULT_VISIBILITY.get(kind, "anyone")))
    return cls


class MeetingMailForm(FlaskForm):
    """The "Email me about meetings" switch (`Attendee.meeting_mail`): a form of its own on the calendar
    page, and part of the profile. Unticked by default, as a checkbox that is not sent is off."""

    meeting_mail = BooleanField("Email me about meetings",
                                description="Requests, answers, changes and cancellations: at most one short "
                                            "email every few minutes.")


@_channel_fields
class ProfileForm(MeetingMailForm):
    name = StringField("Name", validators=[InputRequired("Enter your name as you'd like it on your badge."),
                                           fits(Attendee.name, TOO_LONG)])
    email = EmailField("Email", filters=[lambda v: v.strip() if v else v], validators=[InputRequired("Enter your email: it signs you in on a new phone."),
                                            fits(Attendee.email, "That email is too long.")])
    role = SelectField("Role", choices=[("", "Choose your role")] + list(ROLES.items()),
                       validators=[InputRequired("Choose your role.")], validate_choice=False)
    school = StringField("School", validators=[fits(Attendee.school, TOO_LONG)])
    district = StringField("District", validators=[fits(Attendee.district, TOO_LONG)])
    state = SelectField("State", choices=[("", "Choose your state")] + list(STATES.items()),
                        validate_choice=False)
    grade_band = SelectField("Grade band", choices=[("", "Choose a grade band")] + list(GRADE_BANDS.items()),
                             validate_choice=False)
    years_in_role = YearsField("Years in this role", validators=[Optional()])
    offers = IdListField("I can help with", default=set)
    seeks = IdListField("I'm looking for", default=set)
    hidden = BooleanField("Hide me from suggestions and from the signed-out card")
    meeting_requests = BooleanField("People can ask me to meet", default=True)

    # What the join form's first step asks; the rest can wait for "add more".
    FIRST_STEP = ("name", "email", "role", "school")

    def more_given(self) -> bool:
        """True when anything beyond the first step was typed or is wrong: that part is shown open."""
        for name, field in self._fields.items():
            if (name in self.FIRST_STEP or name in ("csrf_token", "meeting_requests", "meeting_mail")
                    or name.endswith("_share")):
                continue
            if field.errors or (field.data not in (None, "", set(), False)):
                return True
        return any(self[f"ch_{kind}_share"].errors for kind in CHANNELS)

    def channel_fields(self):
        return [(kind, self[f"ch_{kind}"], self[f"ch_{kind}_share"]) for kind in CHANNELS]

    def to_input(self, editing: bool = False) -> ProfileInput:
        # The join form does not ask: requests stay on until the person turns them off.
        return ProfileInput(meeting_requests=bool(self.meeting_requests.data) if editing else None,
            name=self.name.data or "", email=self.email.data or "", role=self.role.data or "",
            school=self.school.data or "", district=self.district.data or "", state=self.state.data or "",
            grade_band=self.grade_band.data or None, years_in_role=self.years_in_role.data, offers=set(self.offers.data or ()),
            seeks=set(self.seeks.data or ()),
            channels={kind: (self._channel_value(kind), self[f"ch_{kind}_share"].data) for kind in CHANNELS},
            hidden=bool(self.hidden.data))

    def _channel_value(self, kind: str) -> str:
        value = (self[f"ch_{kind}"].data or "").strip()
        # A blank contact email means "the email I joined with", when shared.
        if kind == "email" and not value and self.ch_email_share.data in ("anyone", "mutual"):
            return self.email.data or ""
        return value

    def fill_from(self, attendee) -> None:
        """Prefill for editing (GET only)."""
        for key in ("name", "role", "school", "district", "state"):
            self[key].data = getattr(attendee, key)
        self.email.data = attendee.email or attendee.pending_email  # a provisional profile's: what they typed
        self.grade_band.data = attendee.grade_band or ""
        self.years_in_role.data = attendee.years_in_role
        self.offers.data = set(attendee.offers)
        self.seeks.data = set(attendee.seeks)
        for kind in CHANNELS:
            channel = attendee.channel(kind)
            self[f"ch_{kind}"].data = channel.value if channel else ""
            if kind == "email" and channel and channel.value == self.email.data:
                self.ch_email.data = ""
            self[f"ch_{kind}_share"].data = channel.visibility if channel else self[f"ch_{kind}_share"].default
        self.hidden.data = attendee.hidden
        self.meeting_requests.data = attendee.meeting_requests
        self.meeting_mail.data = attendee.meeting_mail

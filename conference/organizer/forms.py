from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, EmailField, Field, IntegerField, RadioField, SelectField, StringField,
                     TimeField)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import TextInput

from conference.attendees.models import ROLES
from conference.errors import DomainError
from conference.organizer.registrants.import_columns import FIELDS
from conference.organizer.models import LAYOUTS
from conference.organizer.operations import SettingsInput

US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
            "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam"]


def timezone_choices() -> list[tuple[str, str]]:
    others = sorted(z for z in available_timezones() if "/" in z and z not in US_ZONES and not z.startswith("Etc/"))
    return [(z, z.replace("_", " ")) for z in US_ZONES] + [(z, z.replace("_", " ")) for z in others]


class IdListField(Field):
    """Repeated form values as ints; anything that is not a number becomes -1 (an unknown id)."""

    def process_formdata(self, valuelist):
        self.data = {int(v) if v.strip().isdigit() else -1 for v in valuelist}

    def _value(self):
        return ""


class SettingsForm(FlaskForm):
    name = StringField("Conference name", validators=[InputRequired("Give the conference a name."),
                                                      Length(max=200, message="At most 200 characters, please.")])
    slug = StringField("Web address", description="Lower-case letters, digits and dashes. Attendees join at "
                                                  "/<this>/join; changing it breaks printed join links.",
                       validators=[InputRequired("Choose the web address."), Length(max=60)])
    starts_on = DateField("First day", validators=[Optional()])
    ends_on = DateField("Last day", validators=[Optional()])
    timezone = SelectField("Time zone", description="Times on the dashboard and in exports use it.",
                           validate_choice=False)
    venue = StringField("Venue", validators=[Length(max=200, message="At most 200 characters, please.")])
    joining_open = BooleanField("Joining is open: people can join with the join link")
    closes_on = DateField("Closes on", description="After this day, joining and saving new contacts end.",
                          validators=[Optional()])
    retain_until = DateField("Keep attendees' data until", description="After this day their data is deleted.",
                             validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def fill_from(self, conference) -> None:
        for key in ("name", "slug", "starts_on", "ends_on", "timezone", "venue", "joining_open", "closes_on",
                    "retain_until"):
            self[key].data = getattr(conference, key)

    def to_input(self) -> SettingsInput:
        return SettingsInput(name=self.name.data or "", slug=self.slug.data or "", starts_on=self.starts_on.data,
                             ends_on=self.ends_on.data, timezone=self.timezone.data or "",
                             venue=self.venue.data or "", joining_open=bool(self.joining_open.data),
                             closes_on=self.closes_on.data, retain_until=self.retain_until.data)


class InterestForm(FlaskForm):
    name = StringField("Interest", validators=[InputRequired("Type the interest's name."),
                                               Length(max=80, message="At most 80 characters, please.")])


class InviteForm(FlaskForm):
    email = EmailField("Their email", filters=[lambda v: v.strip() if v else v],
                       validators=[InputRequired("Enter the email of the person to invite."),
                                   Length(max=254, message="That email is too long.")])


class ImportForm(FlaskForm):
    file = FileField("CSV file of registrants")


class ImportChoicesForm(FlaskForm):
    """The preview's choices: a select per column of the file (named column-<n>, beside a hidden
    shown-<n> with what the preview showed), and the role for rows without a known one."""
    action = StringField()
    default_role = SelectField("Rows with no role, or a role we don't recognise", validate_choice=False,
                               choices=[("", "Leave them out (they are listed below)")] +
                                       [(role, f"Import them as {label.lower()}") for role, label in ROLES.items()])

    def changed_columns(self, formdata) -> dict[int, str]:
        """The columns whose select differs from what the preview showed: index -> field or ""."""
        changed = {}
        for key in formdata:
            number = key.removeprefix("column-")
            if number != key and number.isdigit() and len(number) < 5:
                chosen = formdata.get(key, "")
                if chosen != formdata.get(f"shown-{number}", "") and (chosen in FIELDS or chosen == ""):
                    changed[int(number)] = chosen
        return changed


class BadgeForm(FlaskForm):
    which = RadioField("Which badges", default="all", validate_choice=False, choices=[
        ("all", "Everyone registered"), ("batch", "One import"), ("letters", "Family names from … to …"),
        ("chosen", "Chosen people (a late registrant, a reprint)")])
    batch_id = SelectField("Import", coerce=str, validate_choice=False)
    letter_from = StringField("From letter", validators=[Length(max=1)])
    letter_to = StringField("To letter", validators=[Length(max=1)])
    ids = IdListField("People", default=set)
    layout = RadioField("Layout", default="sheet", validate_choice=False, choices=list(LAYOUTS.items()))


class ConfirmForm(FlaskForm):
    """Carries only the CSRF token for one-button POSTs."""


def merge_error(form, error: DomainError) -> None:
    """A domain error onto the form: beside its field, or at the top."""
    if not error.errors:
        form.form_errors.append(error.message)
    for key, message in error.errors.items():
        if key in form:
            form[key].errors = [message]
        else:
            form.form_errors.append(message)


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
    label = StringField("Label", description="E.g. “Morning break” or “Reception”.")


class MeetingRunForm(_OnePageForm):
    id_prefix = "run"
    day = DateField("Day", validators=[Optional()])
    first = TimeField("From", validators=[Optional()])
    until = TimeField("To", validators=[Optional()])
    every = WholeNumberField("Every (minutes)", "Give the minutes between starts as a number.")
    minutes = WholeNumberField("Each lasting (minutes)", "Give the length as a number of minutes.")
    label = StringField("Label")


class MeetingSpotForm(_OnePageForm):
    id_prefix = "spot"
    name = StringField("Spot", description="E.g. “Networking lounge”.")
    capacity = WholeNumberField("Tables", "Give the number of tables as a whole number.",
                                description="How many meetings or huddles fit there at once.")

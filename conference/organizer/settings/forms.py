from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from conference.events.models import Conference
from conference.interests.models import Interest
from conference.lengths import TOO_LONG, fits
from conference.organizer.settings.operations import SettingsInput

US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
            "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam"]


def timezone_choices() -> list[tuple[str, str]]:
    others = sorted(z for z in available_timezones() if "/" in z and z not in US_ZONES and not z.startswith("Etc/"))
    return [(z, z.replace("_", " ")) for z in US_ZONES] + [(z, z.replace("_", " ")) for z in others]


class SettingsForm(FlaskForm):
    name = StringField("Conference name", validators=[InputRequired("Give the conference a name."),
                                                      fits(Conference.name, TOO_LONG)])
    slug = StringField("Web address", description="Lower-case letters, digits and dashes. Attendees join at "
                                                  "/<this>/join; changing it breaks printed join links.",
                       validators=[InputRequired("Choose the web address."), fits(Conference.slug)])
    starts_on = DateField("First day", validators=[Optional()])
    ends_on = DateField("Last day", validators=[Optional()])
    timezone = SelectField("Time zone", description="Times on the dashboard and in exports use it.",
                           validate_choice=False)
    venue = StringField("Venue", validators=[fits(Conference.venue, TOO_LONG)])
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
                                               fits(Interest.name, TOO_LONG)])

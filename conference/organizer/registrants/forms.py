from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from conference.attendees.models import ROLES
from conference.organizer.registrants.import_columns import FIELDS


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

"""How long a text may be: the length of the model's column it is stored in. Forms, operations and the
registrant import read it here, so a column's length is written once, on the model."""
from __future__ import annotations

from wtforms.validators import Length

# The usual message, in wtforms' form: `fits` fills in the length, `too_long` does for an operation.
TOO_LONG = "At most %(max)d characters, please."


def max_length(column) -> int:
    """The length of a mapped String attribute: `max_length(Attendee.name)` is Attendee.name's."""
    length = column.property.columns[0].type.length
    if length is None:
        raise TypeError(f"{column} has no length: it is not a String column of a fixed length")
    return length


def fits(column, message: str | None = None) -> Length:
    """A form validator refusing more than `column` holds; its field renders the same maxlength.
    `message` may say the length as %(max)d."""
    return Length(max=max_length(column), message=message)


def too_long(column) -> str:
    """The usual message, with `column`'s length in it."""
    return TOO_LONG % {"max": max_length(column)}

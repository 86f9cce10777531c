"""What every console page's form handling shares."""
from __future__ import annotations

from conference.errors import DomainError


def merge_error(form, error: DomainError) -> None:
    """A domain error onto the form: beside its field, or at the top."""
    if not error.errors:
        form.form_errors.append(error.message)
    for key, message in error.errors.items():
        if key in form:
            form[key].errors = [message]
        else:
            form.form_errors.append(message)

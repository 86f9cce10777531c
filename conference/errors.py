"""Error pages a person can act on, and the domain exception operations raise."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError

from conference import ratelimits


class DomainError(Exception):
    """A rule was broken; `message` is written for the person who broke it."""

    def __init__(self, message: str, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        # field name -> message, when several fields are wrong at once
        self.errors = errors or ({field: message} if field else {})


def merge_error(form, error: DomainError, field_of: Callable[[str], str] = str) -> None:
    """A domain error onto the form a person sent: each message beside its field (`field_of` turns an
    error's key into the form's field name), the others at the top."""
    if not error.errors:
        form.form_errors.append(error.message)
    for key, message in error.errors.items():
        name = field_of(key)
        if name in form:
            form[name].errors = [message]
        else:
            form.form_errors.append(message)


T = TypeVar("T")


def or_404(lookup: Callable[..., T], *args) -> T:
    """What `lookup(*args)` finds, or the 404 page when it raises DomainError: something missing and
    something that is not the signed-in person's look the same."""
    try:
        return lookup(*args)
    except DomainError:
        abort(404)


def init_app(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, "Please try that again",
                    "This page was open too long or came from elsewhere, so we did not save it. "
                    "Go back, reload the page, and send it again: what you typed is still there.")

    @app.errorhandler(400)
    def bad_request(error):
        if isinstance(error, SecurityError):
            # A Host that is not ours (TRUSTED_HOSTS, conference/urls.py): no links can be built for it,
            # so a page that needs none.
            return render_template("wrong_host.html"), 400
        return page(400, "That request did not make sense", "Go back and try again.")

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, "Not yours to see", "This page belongs to someone else.")

    @app.errorhandler(404)
    def not_found(error):
        return page(404, "Page not found", "Check the address, or start again from your badge.")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, "That page does not take this action", "Go back and use the page's buttons.")

    @app.errorhandler(413)
    def too_large(error):
        return page(413, "That was too much to send at once",
                    "Shorten what you typed (a note can be up to 2,000 characters) and send it again.")

    @app.errorhandler(429)
    def too_many_requests(error):
        message = ("Please wait a minute, then try again. We limit how fast codes and sign-in emails can be "
                   "tried so that nobody can guess their way to other people's badges.")
        if request.is_json:  # the scanner's sync: JSON it can act on (it keeps the scans and retries)
            response = jsonify(error="rate_limited", message=message), 429
        else:
            response = page(429, "Too many tries in a short time", message)
        retry_after = ratelimits.retry_after()
        return (*response, {"Retry-After": str(retry_after)}) if retry_after else response

    @app.errorhandler(500)
    def server_error(error):
        return page(500, "Something went wrong on our side",
                    "Nothing you saved before is lost. Please try again in a moment.")

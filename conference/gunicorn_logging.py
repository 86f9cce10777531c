"""gunicorn's access log without sign-in tokens: '/signin/<token>' is written '/signin/[redacted]'
(and a private calendar feed's '/calendar/<token>.ics' '/calendar/[redacted]': its URL is its key).

The token is in the path of the emailed link (and of the confirm page's POST, and of the Referer the
next page sends), so every field of the line is cleaned, not only the request line.
gunicorn.conf.py names this class as `logger_class`.
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

SIGN_IN_TOKEN = re.compile(r"/(signin|calendar)/[^/?#\s\"]+")
REDACTED = r"/\1/[redacted]"


def redact(text: str) -> str:
    return SIGN_IN_TOKEN.sub(REDACTED, text)


class RedactingLogger(Logger):
    """gunicorn's Logger, with sign-in tokens removed from every access-log atom."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

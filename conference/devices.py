"""Which phone a request comes from, where the words a person must follow differ (home screen, calendar)."""
from __future__ import annotations

import re

from flask import request

_IOS = re.compile(r"iPhone|iPad|iPod")


def phone_platform() -> str | None:
    """'ios', 'android', or None (a laptop, or a phone we can't tell); the caller adds Vary: User-Agent."""
    agent = request.headers.get("User-Agent", "")
    if _IOS.search(agent):
        return "ios"
    if "Android" in agent:
        return "android"
    return None

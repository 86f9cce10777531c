"""Turning what people type into a channel value we can link to: E.164 phones, bare handles."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from conference.attendees.models import Channel
from conference.lengths import max_length


class BadChannel(ValueError):
    """The text cannot be this kind of channel; the message says what was expected."""


def _strip_url(text: str, hosts: tuple[str, ...], path_prefix: str = "") -> str:
    """'https://x.com/name?s=1' -> 'name'; a bare '@name' -> 'name'."""
    text = text.strip()
    lowered = text.lower()
    for scheme in ("https://", "http://"):
        if lowered.startswith(scheme):
            text, lowered = text[len(scheme):], lowered[len(scheme):]
    if lowered.startswith("www."):
        text, lowered = text[4:], lowered[4:]
    for host in hosts:
        if lowered.startswith(host + "/"):
            path = text[len(host) + 1:]
            if path_prefix and path.lower().startswith(path_prefix):
                path = path[len(path_prefix):]
            text = re.split(r"[/?#]", path, maxsplit=1)[0]
            break
    return text.lstrip("@").strip()


def normalise_phone(text: str, region: str = "US") -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise BadChannel("Enter a phone number like (555) 201-4477 or +44 20 7946 0958.") from None
    if not phonenumbers.is_valid_number(number):
        raise BadChannel("That is not a phone number we can call. Check the digits, or add the country code (+…).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str:
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise BadChannel("Enter an email address like name@school.org.") from None


def _handle(text: str, hosts: tuple[str, ...], pattern: str, example: str, path_prefix: str = "") -> str:
    handle = _strip_url(text, hosts, path_prefix)
    if not re.fullmatch(pattern, handle):
        raise BadChannel(f"Enter your handle, like {example}, or the link to your profile.")
    return handle


def normalise_channel(kind: str, text: str) -> str:
    """The stored form of one channel, or BadChannel with a message for the person."""
    text = (text or "").strip()
    if kind == "phone":
        return normalise_phone(text)
    if kind == "email":
        return normalise_email(text)
    if kind == "x":
        return _handle(text, ("x.com", "twitter.com", "mobile.twitter.com"), r"[A-Za-z0-9_]{1,15}", "@principal_kim")
    if kind == "instagram":
        return _handle(text, ("instagram.com",), r"[A-Za-z0-9._]{1,30}", "@principal.kim")
    if kind == "voxer":
        return _handle(text, ("web.voxer.com", "voxer.com"), r"[A-Za-z0-9._\-]{1,40}", "principalkim")
    if kind == "linkedin":
        return _handle(text, ("linkedin.com",), r"[A-Za-z0-9\-_%]{3,100}", "linkedin.com/in/jane-kim", "in/")
    if kind == "bluesky":
        handle = _handle(text, ("bsky.app",), r"[A-Za-z0-9\-.]{3,253}", "@jane.bsky.social", "profile/")
        handle = handle.lower()
        return handle if "." in handle else handle + ".bsky.social"
    if kind == "website":
        url = text if re.match(r"https?://", text, re.I) else "https://" + text
        parts = urlsplit(url)
        if not parts.hostname or "." not in parts.hostname or " " in url or len(url) > max_length(Channel.value):
            raise BadChannel("Enter a web address like myschool.org or https://myschool.org/principal.")
        return url
    raise BadChannel("Unknown kind of contact channel.")


PROFILE_URLS = {
    "x": "https://x.com/{}",
    "instagram": "https://www.instagram.com/{}",
    "linkedin": "https://www.linkedin.com/in/{}",
    "bluesky": "https://bsky.app/profile/{}",
}


def channel_href(kind: str, value: str) -> str | None:
    """Where tapping a channel goes: a profile, tel:, mailto:, or nowhere (Voxer)."""
    if kind in PROFILE_URLS:
        return PROFILE_URLS[kind].format(value)
    if kind == "phone":
        return f"tel:{value}"
    if kind == "email":
        return f"mailto:{value}"
    if kind == "website":
        return value
    return None


def channel_display(kind: str, value: str) -> str:
    if kind == "phone":
        number = phonenumbers.parse(value, None)
        fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 1
               else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(number, fmt)
    if kind in ("x", "instagram", "bluesky", "voxer"):
        return "@" + value if kind != "voxer" else value
    if kind == "website":
        return re.sub(r"^https?://(www\.)?", "", value).rstrip("/")
    if kind == "linkedin":
        return "in/" + value
    return value

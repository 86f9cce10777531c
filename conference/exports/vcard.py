"""Contacts as vCard 3.0, the version iOS, Android/Google and Outlook all import."""
from __future__ import annotations

import vobject

from conference.exports.contact_fields import ContactFields

# iOS shows these as social profiles; other apps keep the plain URL lines.
SOCIAL_TYPES = {"x": "twitter", "instagram": "instagram", "linkedin": "linkedin", "bluesky": "bluesky"}


def note_text(fields: ContactFields) -> str:
    lines = []
    if fields.note:
        lines.append(fields.note)
    if fields.shared_interests:
        lines.append("Shared interests: " + ", ".join(fields.shared_interests))
    if "voxer" in fields.channels:
        lines.append("Voxer: " + fields.channels["voxer"])
    lines.append(fields.met_at)
    return "\n\n".join(lines) if fields.note else "\n".join(lines)


def vcard(fields: ContactFields) -> str:
    card = vobject.vCard()
    card.add("fn").value = fields.name
    card.add("n").value = vobject.vcard.Name(family=fields.family, given=fields.given)
    if fields.school:
        card.add("org").value = [fields.school]
    card.add("title").value = fields.role
    if "phone" in fields.channels:
        tel = card.add("tel")
        tel.value = fields.channels["phone"]
        tel.type_paramlist = ["CELL", "VOICE"]
    if "email" in fields.channels:
        email = card.add("email")
        email.value = fields.channels["email"]
        email.type_paramlist = ["INTERNET"]
    for kind, url in fields.profile_urls.items():
        card.add("url").value = url
        if kind in SOCIAL_TYPES:
            social = card.add("x-socialprofile")
            social.value = url
            social.type_param = SOCIAL_TYPES[kind]
    card.add("note").value = note_text(fields)
    card.add("categories").value = [fields.conference, *fields.tags]
    return card.serialize()


def vcards(many: list[ContactFields]) -> str:
    return "".join(vcard(fields) for fields in many)

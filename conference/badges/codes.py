"""Badge codes: 12 characters of Crockford base32 (60 random bits), shown as XXXX-XXXX-XXXX.

The alphabet has no I, L, O or U, so nothing reads as something else; typed input forgives
case, spaces, missing dashes, O for 0 and I/L for 1.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.–—]+")


class MalformedCode(ValueError):
    """Typed text that cannot be a badge code; the message says why, for a person."""


def new_code() -> str:
    """A random code of LENGTH characters, each drawn uniformly from ALPHABET."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """ABCD-EFGH-JKMN: the readable, typeable form."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """The stored form of a typed or scanned code, or MalformedCode with a reason."""
    text = _SEPARATORS.sub("", (typed or "").strip()).upper().translate(_TYPOS)
    if not text:
        raise MalformedCode("Type the code printed under the QR, for example 7KQ2-XM4P-9BDA.")
    bad = sorted({ch for ch in text if ch not in ALPHABET})
    if bad:
        shown = " ".join(bad[:5])
        raise MalformedCode(f"A badge code has only letters and digits; this one contains {shown}.")
    if len(text) != LENGTH:
        raise MalformedCode(f"A badge code has {LENGTH} characters; this one has {len(text)}.")
    return text


def code_from_scan(text: str) -> str:
    """The code inside a scanned badge URL (…/c/<code>) or a bare typed code."""
    match = re.search(r"/c/([^/?#]+)/?(?:[?#].*)?$", (text or "").strip())
    return normalise(match.group(1) if match else text)

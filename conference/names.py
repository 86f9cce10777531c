"""How names (and the other words people search for) are compared: without accents or case, the same
in Python, SQLite and PostgreSQL, because every key is made here and stored or compared as plain ASCII.

"Ñúñez-O'Brien" folds to "nunez obrien", "Đặng" to "dang", "Straße" to "strasse", "Ødegaard" to
"odegaard": anyascii transliterates every script to ASCII (đ, ø and ł, which Unicode does not
decompose, included). German umlauts also fold the way Germans write them without the dots, so
"Müller" is found as "muller" and as "mueller".
"""
from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")   # O'Brien, O’Brien and OBrien are one name
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DIAERESIS = "\u0308"


def _ascii(text: str) -> str:
    folded = text if text.isascii() else anyascii(text)
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", folded.lower())).strip()


def _umlauts_as_e(text: str) -> str:
    """'Müller' -> 'Mueller': a letter with a diaeresis written as the letter and an e."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", decomposed.replace(_DIAERESIS, "e"))


def fold(text: str | None) -> str:
    """The comparable form of a text: ASCII lower-case words separated by single spaces."""
    text = text or ""
    folded = _ascii(text)
    if not text.isascii() and _DIAERESIS in unicodedata.normalize("NFD", text):
        words = folded.split()
        extra = [word for word in _ascii(_umlauts_as_e(text)).split() if word not in words]
        if extra:
            folded = " ".join([folded, *extra])
    return folded


def search_words(query: str | None, limit: int = 8) -> list[str]:
    """The words of a search box, folded like the texts they are looked for in."""
    words: list[str] = []
    for word in _ascii(query or "").split():
        if word not in words:
            words.append(word[:100])
    return words[:limit]


def matches(key: str, words: list[str]) -> bool:
    """Every word appears somewhere in the folded text (as the SQL `LIKE '%word%'` checks)."""
    return all(word in key for word in words)


def split_name(name: str) -> tuple[str, str]:
    """'Ana María Ruiz' -> ('Ana María', 'Ruiz'); one word stays a given name.

    The family name is the last word, so 'María de la Vega' files under V, as Spanish and
    library catalogues file it, and 'Ñúñez-O'Brien' under N."""
    parts = (name or "").split()
    if len(parts) < 2:
        return name, ""
    return " ".join(parts[:-1]), parts[-1]


def family_sort_key(name: str) -> tuple[str, str]:
    """Sorts people by family name then given name, accents and case aside: Álvarez among the A's."""
    given, family = split_name(name)
    return _ascii(family or given), _ascii(given)


def family_initial(name: str) -> str:
    """The letter a badge pick-up table files this person under: 'A' for Álvarez, 'D' for Đặng."""
    return family_sort_key(name)[0][:1].upper()


def sort_key(text: str | None) -> str:
    """The folded words of a text without the spelled-out umlauts: sorted byte by byte (as both
    databases are told to), "An Nguyễn" comes before "Ana de la Vega" and "Ángel" among the A's."""
    return _ascii(text or "")

"""Which column of a registration platform's export holds what: matched by the header's exact or
well-known name first, by a word in it only when nothing else claims the field and the column's
values agree, and never by a guess. Every column ends up used as one field or reported unused, with
the reason; an organizer's own choices come before all of it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from conference.attendees.models import ROLES
from conference.attendees.states import STATES
from conference.names import fold, sort_key

# Our field -> how the report names it.
FIELDS = {
    "name": "Full name",
    "first": "First name",
    "last": "Last name",
    "email": "Email",
    "role": "Role",
    "school": "School",
    "district": "District",
    "state": "State",
    "interests": "Interests: looking for",
    "offers": "Interests: can help with",
}
NAME_PARTS = ("first", "last")

# Header names each field is known by, best first: our own names, then those registration
# platforms use (Eventbrite, Cvent, Whova, RegFox, Google Forms). Compared without case or punctuation.
ALIASES = {
    "name": ["name", "full name", "attendee name", "registrant name", "participant name", "your name"],
    "first": ["first name", "first", "firstname", "given name", "forename", "fname", "attendee first name",
              "registrant first name", "name first", "first name name"],
    "last": ["last name", "last", "lastname", "surname", "family name", "lname", "attendee last name",
             "registrant last name", "name last", "last name name"],
    "email": ["email", "email address", "e-mail", "e-mail address", "emailaddress", "attendee email",
              "registrant email", "primary email", "work email", "email address email"],
    "role": ["role", "your role", "current role", "job role", "role/title", "job title", "position",
             "professional role"],
    "school": ["school", "school name", "school/organization", "school or organization", "organization",
               "organisation", "organization name", "institution", "company", "company name",
               "company/organization", "affiliation", "employer"],
    "district": ["district", "school district", "district name", "district/network", "lea", "school division"],
    "state": ["state", "state code", "state/province", "state/territory", "province/state", "work state",
              "work state/province", "home state", "province"],
    "interests": ["interests", "interest", "leadership interests", "topics", "topics of interest",
                  "areas of interest", "looking for", "i'm looking for", "seeks", "interested in"],
    "offers": ["offers", "can help with", "i can help with", "expertise", "areas of expertise", "strengths"],
}
# Headers that say too little on their own ("Title" is a job on Cvent and Whova, Mr. or Dr. on
# other forms): used only when most of their values are of that field's kind.
IF_VALUES_AGREE = {
    "role": ["title", "registration type", "attendee type", "ticket type", "type", "category"],
    "state": ["st", "region"],
}
# Words that make a header's field plain in a question's text ("What is your current role?").
# Interests are left out: "looking for" and "can help with" are easily told apart by a person only.
KEYWORDS = {
    "email": ["email", "e mail"],
    "first": ["first name", "given name"],
    "last": ["last name", "surname", "family name"],
    "role": ["role", "job title", "position"],
    "school": ["school", "organization", "organisation", "institution", "employer", "affiliation", "company"],
    "district": ["district"],
    "state": ["state"],
    "name": ["name"],
}
# Words of a question about interests, which only a person can tell "looking for" from "can help with" in.
INTEREST_WORDS = ["interest", "interests", "interested", "topic", "topics", "looking for", "help with", "expertise"]
# Words that say a column is about someone else or something else (the buyer, an emergency contact).
NOT_THE_REGISTRANT = ["emergency", "contact", "buyer", "purchaser", "billing", "event", "ticket", "order",
                      "guest", "parent", "supervisor", "reference", "spouse", "badge"]
SAMPLE_ROWS = 200


@lru_cache(maxsize=4096)  # roles, states and interest names repeat on every row
def value_key(text: str) -> str:
    """'E-mail Address ' -> 'emailaddress': how headers and values are compared."""
    return sort_key(text).replace(" ", "")


_KNOWN = {value_key(alias): (column, rank) for column, aliases in ALIASES.items()
          for rank, alias in enumerate(aliases)}
_IF_VALUES_AGREE = {value_key(alias): column for column, aliases in IF_VALUES_AGREE.items() for alias in aliases}

ROLE_ALIASES = {
    "principal": ["principal", "head of school", "head principal", "school principal", "director of school",
                  "school leader", "headteacher", "head teacher"],
    "assistant_principal": ["assistant principal", "ap", "vice principal", "vp", "asst principal",
                            "asst. principal", "associate principal", "deputy principal", "assistant head"],
    "aspiring_principal": ["aspiring principal", "aspiring", "aspiring leader", "principal intern",
                           "aspiring school leader", "resident principal"],
    "teacher_leader": ["teacher leader", "teacher", "instructional coach", "coach", "lead teacher",
                       "department head", "dean", "team leader"],
    "district_leader": ["district leader", "superintendent", "assistant superintendent", "deputy superintendent",
                        "district administrator", "central office", "director", "district director",
                        "chief academic officer"],
    "other": ["other", "other school leader", "consultant", "professor", "retired principal"],
}
ROLE_VALUES = {value_key(alias): role for role, aliases in ROLE_ALIASES.items() for alias in aliases}
ROLE_VALUES.update({value_key(label): role for role, label in ROLES.items()})
ROLE_VALUES.update({value_key(role): role for role in ROLES})
STATE_VALUES = {value_key(code): code for code in STATES}
STATE_VALUES.update({value_key(name): code for code, name in STATES.items()})


@dataclass
class Column:
    """One column of the file, as the import report shows it."""
    index: int
    header: str
    field: str | None = None      # what it is taken as; None: not used
    how: str = ""                 # why it is taken as that, or why not used
    samples: list[str] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        return self.header or f"Column {self.index + 1} (no header)"


@dataclass
class Mapping:
    columns: list[Column]
    problems: list[str] = dataclasses.field(default_factory=list)   # what stops the import until fixed

    @property
    def used(self) -> dict[str, int]:
        return {c.field: c.index for c in self.columns if c.field}

    @property
    def unused(self) -> list[Column]:
        return [c for c in self.columns if not c.field]

    def header_of(self, field_name: str) -> str:
        index = self.used.get(field_name)
        return self.columns[index].label if index is not None else ""

    def missing(self, role_required: bool = True) -> str:
        """What the file lacks to be imported, as a sentence; "" when nothing."""
        used = self.used
        lacking = [] if "name" in used or set(NAME_PARTS) & set(used) else ["name (or first name and last name)"]
        lacking += [f for f in ("email", "role") if f not in used and (f != "role" or role_required)]
        if not lacking:
            return ""
        shown = ", ".join(f"“{c.header}”" for c in self.columns if c.header) or "none"
        return (f"The file has no {' or '.join(lacking)} column. Its columns are: {shown}. "
                "Take the column that holds it as that field by hand, or rename the header cells and import again.")


def _has(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


def _keyword_fields(header: str) -> set[str]:
    words = fold(header)
    if any(_has(words, blocked) for blocked in NOT_THE_REGISTRANT):
        return set()
    found = {column for column, phrases in KEYWORDS.items() if any(_has(words, p) for p in phrases)}
    if found & {"first", "last"}:
        found.discard("name")
    if len(found) > 1:
        found.discard("name")  # "School name", "Name of your district": the other word says what it is
    return found


def _values_agree(column: str, values: list[str]) -> bool:
    """Do most of a column's sampled values look like `column`'s?"""
    if not values:
        return False
    if column == "email":
        return sum("@" in v for v in values) >= 0.8 * len(values)
    if column == "role":
        return sum(value_key(v) in ROLE_VALUES for v in values) >= 0.6 * len(values)
    if column == "state":
        return sum(value_key(v) in STATE_VALUES for v in values) >= 0.6 * len(values)
    odd = sum("@" in v or any(ch.isdigit() for ch in v) for v in values)
    if column in ("name", "first", "last"):
        distinct = len(set(values)) >= 0.5 * len(values) if len(values) >= 5 else True
        return odd <= 0.1 * len(values) and distinct
    return odd <= 0.1 * len(values)


def _samples(rows: list[list[str]], width: int) -> list[list[str]]:
    sampled: list[list[str]] = [[] for _ in range(width)]
    for cells in rows[:SAMPLE_ROWS]:
        for index, cell in enumerate(cells[:width]):
            cell = " ".join(cell.split())
            if cell:
                sampled[index].append(cell)
    return sampled


def map_columns(header: list[str], rows: list[list[str]], chosen: dict[int, str] | None = None) -> Mapping:
    """What each column is taken as. `chosen`: column index -> field (or "" for not used), by hand."""
    chosen = {i: f for i, f in (chosen or {}).items() if 0 <= i < len(header) and (f in FIELDS or f == "")}
    sampled = _samples(rows, len(header))
    columns = [Column(i, title, samples=sampled[i][:3]) for i, title in enumerate(header)]
    problems: list[str] = []
    taken: dict[str, Column] = {}
    for index, column_name in sorted(chosen.items()):
        column = columns[index]
        if not column_name:
            column.how = "you chose not to use it"
        elif column_name in taken:
            problems.append(f"“{taken[column_name].label}” and “{column.label}” are both chosen as "
                            f"{FIELDS[column_name].lower()}: choose one.")
            column.how = f"{FIELDS[column_name].lower()} is chosen twice"
        else:
            column.field, column.how = column_name, "your choice"
            taken[column_name] = column
    by_hand = set(taken)
    if by_hand & {"name"}:
        by_hand |= set(NAME_PARTS)
    if by_hand & set(NAME_PARTS):
        by_hand.add("name")

    # Exact and well-known headers: the best-ranked alias of each field wins.
    candidates: dict[str, list[tuple[int, Column]]] = {}
    for column in columns:
        if column.index in chosen:
            continue
        if not column.header:
            column.how = "no header"
            continue
        key = value_key(column.header)
        if key in _KNOWN:
            name, rank = _KNOWN[key]
            candidates.setdefault(name, []).append((rank, column, "its header"))
        elif key in _IF_VALUES_AGREE:
            name = _IF_VALUES_AGREE[key]
            if _values_agree(name, sampled[column.index]):
                candidates.setdefault(name, []).append((len(ALIASES[name]), column, "its header, and its values"))
            else:
                column.how = f"could be the {FIELDS[name].lower()}, but its values don't look like it"
    for name, found in candidates.items():
        found.sort(key=lambda candidate: (candidate[0], candidate[1].index))
        for _, column, how in found:
            if name in by_hand:
                column.how = f"“{taken[name].label}” is used for {FIELDS[name].lower()} (your choice)" \
                    if name in taken else "you chose other columns for the name"
            elif name in taken:
                column.how = f"“{taken[name].label}” is used for {FIELDS[name].lower()}"
            else:
                column.field, column.how = name, how
                taken[name] = column

    # Headers that name a field in a question's words, for fields nothing else claimed.
    loose: dict[str, list[Column]] = {}
    for column in columns:
        if column.field or column.how or column.index in chosen:
            continue
        named = _keyword_fields(column.header)
        fields = named - set(taken) - by_hand
        if named and not fields:
            claimed = sorted(named & set(taken))
            if claimed:
                column.how = f"“{taken[claimed[0]].label}” is used for {FIELDS[claimed[0]].lower()}"
        elif len(fields) == 1:
            loose.setdefault(fields.pop(), []).append(column)
        elif len(fields) > 1:
            named = " or ".join(FIELDS[f].lower() for f in sorted(fields))
            column.how = f"could be {named}: choose by hand"
        elif any(_has(fold(column.header), phrase) for phrase in INTEREST_WORDS):
            column.how = "could be interests (looking for, or can help with): choose by hand"
    for name, found in loose.items():
        if len(found) > 1:
            for column in found:
                column.how = f"several columns could be the {FIELDS[name].lower()}: choose by hand"
            continue
        column = found[0]
        if _values_agree(name, sampled[column.index]):
            column.field, column.how = name, "a word in its header, and its values"
            taken[name] = column
        else:
            column.how = f"could be the {FIELDS[name].lower()}, but its values don't look like it"

    # First and last name together beat a single column that only looks like a name.
    if "first" in taken and "last" in taken and "name" in taken and taken["name"].how != "your choice":
        single = taken.pop("name")
        single.field, single.how = None, "first name and last name are used instead"
    for column in columns:
        if not column.field and not column.how:
            column.how = "not a column we import"
    return Mapping(columns, problems)

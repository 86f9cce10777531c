"""Names in every Latin script are found and sorted as people expect, the same on SQLite and PostgreSQL:
the contacts search, the organizer's registrant search and order, and badges by family-name range."""
import html
import re

import pytest
from sqlalchemy import select, text

from conference.attendees.models import Attendee, name_keys
from conference.contacts.operations import save_contact
from conference.extensions import db
from conference.names import family_initial, family_sort_key, fold, search_words
from conference.organizer.printing.models import BadgeJob
from tests.conftest import ON_POSTGRES
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.organizer_factories import make_organizer, sign_in_organizer

PEOPLE = [  # name, school
    ("María Ñúñez-O'Brien", "Escuela Benito Juárez"),
    ("Trần Đặng", "Lincoln Elementary"),
    ("An Nguyễn", "Westfield Middle School"),
    ("Jürgen Müller", "Straße der Einheit Grundschule"),
    ("Łukasz Kowalski", "Kraków Academy"),
    ("Ingrid Ødegaard", "Nordic Charter"),
    ("Siobhán O'Brien", "St. Brigid School"),
    ("Ana de la Vega", "Jefferson K-8"),
    ("Ángel Álvarez", "Sunnyside"),
    ("George Washington", "Mount Vernon Elementary"),
    ("Françoise Lefèvre", "École Saint-Laurent"),
]


@pytest.mark.parametrize("typed, stored", [
    ("nunez", "Ñúñez-O'Brien"), ("ÑÚÑEZ", "Ñúñez"), ("obrien", "O’Brien"), ("o'brien", "O'Brien"),
    ("dang", "Đặng"), ("tran", "Trần"), ("nguyen", "Nguyễn"), ("muller", "Müller"), ("mueller", "Müller"),
    ("strasse", "Straße"), ("lukasz", "Łukasz"), ("odegaard", "Ødegaard"), ("vega", "de la Vega"),
    ("lefevre", "Lefèvre"), ("francoise", "Françoise"), ("saemund", "Sæmundsdóttir"), ("thor", "Þór"),
])
def test_every_word_typed_folds_into_the_stored_text(typed, stored):
    assert all(word in fold(stored) for word in search_words(typed)), (typed, fold(stored))


def test_sorting_and_letters_follow_the_family_name_without_accents():
    names = ["George Washington", "Ángel Álvarez", "María Ñúñez-O'Brien", "Ana de la Vega", "Trần Đặng",
             "Ingrid Ødegaard", "Jürgen Müller", "ana zamora", "Bea Ávila"]
    assert sorted(names, key=family_sort_key) == [
        "Ángel Álvarez", "Bea Ávila", "Trần Đặng", "Jürgen Müller", "María Ñúñez-O'Brien", "Ingrid Ødegaard",
        "Ana de la Vega", "George Washington", "ana zamora"]
    assert [family_initial(n) for n in ("Ángel Álvarez", "Trần Đặng", "Ingrid Ødegaard", "Łukasz Łoś")] == [
        "A", "D", "O", "L"]


def met(conference, me):
    people = {}
    for name, school in PEOPLE:
        person = make_attendee(conference, name=name, school=school)
        save_contact(me, person, note="Habló de horarios" if name.startswith("Ángel") else "")
        people[name] = person
    db.session.commit()
    return people


def names_in(page: str) -> set[str]:
    page = html.unescape(page)
    return {name for name, _ in PEOPLE if name in page}


def test_contacts_search_ignores_accents_case_and_punctuation(client):
    conference = make_conference()
    me = make_attendee(conference, name="Ana Ruiz")
    met(conference, me)
    sign_in_as(client, me)
    for typed, expected in [
            ("nunez", {"María Ñúñez-O'Brien"}), ("Ñúñez", {"María Ñúñez-O'Brien"}),
            ("NÚÑEZ-O'BRIEN", {"María Ñúñez-O'Brien"}),
            ("obrien", {"María Ñúñez-O'Brien", "Siobhán O'Brien"}), ("o’brien", {"María Ñúñez-O'Brien", "Siobhán O'Brien"}),
            ("dang", {"Trần Đặng"}), ("Đặng", {"Trần Đặng"}), ("tran dang", {"Trần Đặng"}), ("nguyen", {"An Nguyễn"}),
            ("mueller", {"Jürgen Müller"}), ("muller", {"Jürgen Müller"}), ("strasse", {"Jürgen Müller"}),
            ("lukasz", {"Łukasz Kowalski"}), ("krakow", {"Łukasz Kowalski"}), ("odegaard", {"Ingrid Ødegaard"}),
            ("de la vega", {"Ana de la Vega"}), ("alvarez", {"Ángel Álvarez"}), ("hablo horarios", {"Ángel Álvarez"}),
            ("ecole", {"Françoise Lefèvre"}), ("juarez", {"María Ñúñez-O'Brien"}), ("zebra", set())]:
        found = client.get("/me/contacts", query_string={"q": typed}, headers={"HX-Request": "true"})
        assert found.status_code == 200 and found.text.lstrip().startswith('<div id="contact-list"'), typed
        assert names_in(found.text) == expected, typed


def registrant_names(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<label for="pick-\d+">([^<]+)</label>', page)]


def test_registrant_search_and_order_ignore_accents(client):
    conference = make_conference()
    for name, school in PEOPLE:
        make_attendee(conference, name=name, school=school, email=f"{fold(name).replace(' ', '.')}@x.example.org")
    sign_in_organizer(client, make_organizer(conference))
    listed = registrant_names(client.get(f"/organize/{conference.slug}/registrants").text)
    assert listed == ["An Nguyễn", "Ana de la Vega", "Ángel Álvarez", "Françoise Lefèvre", "George Washington",
                      "Ingrid Ødegaard", "Jürgen Müller", "Łukasz Kowalski", "María Ñúñez-O'Brien",
                      "Siobhán O'Brien", "Trần Đặng"]
    for typed, expected in [("nunez", ["María Ñúñez-O'Brien"]), ("Ñúñez", ["María Ñúñez-O'Brien"]),
                            ("OBRIEN", ["María Ñúñez-O'Brien", "Siobhán O'Brien"]), ("dang", ["Trần Đặng"]),
                            ("ødegaard", ["Ingrid Ødegaard"]), ("müller", ["Jürgen Müller"]),
                            ("ecole saint", ["Françoise Lefèvre"]), ("lukasz.kowalski@", ["Łukasz Kowalski"]),
                            ("100%", []), ("_", [])]:
        page = client.get(f"/organize/{conference.slug}/registrants", query_string={"q": typed})
        assert page.status_code == 200 and registrant_names(page.text) == expected, typed


def test_badges_by_family_name_range_file_accented_names_with_their_letter(client, app):
    conference = make_conference()
    for name, school in PEOPLE:
        make_attendee(conference, name=name, school=school)
    sign_in_organizer(client, make_organizer(conference))
    app.config["BADGE_JOBS_INLINE"] = True

    def chosen(first: str, last: str) -> list[str]:
        response = client.post(f"/organize/{conference.slug}/badges", data={
            "which": "letters", "letter_from": first, "letter_to": last, "layout": "sheet"})
        assert response.status_code == 303, response.text[:1000]
        job = db.session.scalar(select(BadgeJob).order_by(BadgeJob.id.desc()))
        return [db.session.get(Attendee, i).name for i in job.ids]

    assert chosen("A", "D") == ["Ángel Álvarez", "Trần Đặng"]
    assert chosen("n", "o") == ["An Nguyễn", "María Ñúñez-O'Brien", "Siobhán O'Brien", "Ingrid Ødegaard"]
    assert chosen("Ñ", "Ñ") == ["An Nguyễn", "María Ñúñez-O'Brien"]
    assert chosen("V", "W") == ["Ana de la Vega", "George Washington"]


def test_keys_follow_every_change_to_a_name(client):
    conference = make_conference()
    person = make_attendee(conference, name="Ana Ruiz", school="Lincoln", district="")
    assert (person.search_key, person.name_key) == ("ana ruiz lincoln", "ana ruiz")
    person.name, person.district = "Ana Núñez", "Distrito Peñasco"
    db.session.commit()
    stored = db.session.execute(text("SELECT search_key, name_key FROM attendee WHERE id = :id"),
                                {"id": person.id}).one()
    assert tuple(stored) == ("ana nunez lincoln distrito penasco", "ana nunez")
    assert name_keys("Zoë Müller") == {"search_key": "zoe muller zoee mueller", "name_key": "zoe muller"}


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite compares bytes already")
def test_postgresql_sorts_the_name_keys_byte_by_byte_whatever_its_locale(app):
    """A locale collation (glibc's en_US) skips spaces: "Ana de la Vega" would come before "An Nguyễn"."""
    collation = db.session.scalar(text("SELECT collation_name FROM information_schema.columns "
                                       "WHERE table_name = 'attendee' AND column_name = 'name_key'"))
    assert collation == "C"

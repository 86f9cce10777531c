"""Conference settings, the interest list and the registrant list, through the real console routes."""
from datetime import date

from sqlalchemy import select

from conference.events.models import Conference
from conference.extensions import db
from conference.interests.models import Interest
from tests.factories import interest, make_attendee, make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer


def signed_in(client, **overrides):
    conference = make_conference(**overrides)
    sign_in_organizer(client, make_organizer(conference))
    return conference


def settings_form(conference, **overrides):
    data = {"name": conference.name, "slug": conference.slug, "starts_on": "2026-07-09", "ends_on": "2026-07-11",
            "timezone": "America/Chicago", "venue": "Gaylord National", "joining_open": "y",
            "closes_on": "2026-07-31", "retain_until": "2027-07-31"}
    data.update(overrides)
    return data


def test_settings_are_shown_and_saved(client):
    conference = signed_in(client)
    old_slug = conference.slug
    page = client.get(f"/organize/{conference.slug}/settings")
    assert page.status_code == 200 and f'value="{conference.slug}"' in page.text
    assert '<option selected value="America/New_York">' in page.text
    response = client.post(f"/organize/{conference.slug}/settings",
                           data=settings_form(conference, name="State Principals Summit", slug="summit-2026",
                                              joining_open=""))
    assert response.status_code == 303
    assert response.headers["Location"] == "/organize/summit-2026/settings?saved=1"
    db.session.expire_all()
    saved = db.session.get(Conference, conference.id)
    assert (saved.name, saved.slug, saved.timezone, saved.venue) == ("State Principals Summit", "summit-2026",
                                                                     "America/Chicago", "Gaylord National")
    assert (saved.starts_on, saved.ends_on, saved.joining_open) == (date(2026, 7, 9), date(2026, 7, 11), False)
    assert (saved.closes_on, saved.retain_until) == (date(2026, 7, 31), date(2027, 7, 31))
    assert "Settings saved" in client.get(response.headers["Location"]).text
    assert client.get(f"/organize/{old_slug}/settings").status_code == 404  # the old address is gone


def test_each_bad_setting_gets_its_message_and_keeps_what_was_typed(client):
    conference = signed_in(client)
    taken = make_conference(slug="taken-one")
    cases = {
        "name": ("", "Give the conference a name"),
        "slug": ("Not A Slug!", "lower-case letters"),
        "timezone": ("Mars/Olympus_Mons", "Choose a time zone"),
        "ends_on": ("2026-07-01", "last day can&#39;t be before the first day"),
        "closes_on": ("2026-06-01", "can&#39;t close before the conference starts"),
        "retain_until": ("2026-07-15", "at least until the conference closes"),
        "starts_on": ("9 July", "Not a valid date value"),
    }
    for key, (value, message) in cases.items():
        response = client.post(f"/organize/{conference.slug}/settings",
                               data=settings_form(conference, venue="Typed venue", **{key: value}))
        assert response.status_code == 422, key
        assert message in response.text, key
        assert 'value="Typed venue"' in response.text, key
    for slug, message in ((taken.slug, "Another conference already uses"), ("signin", "used by the app")):
        response = client.post(f"/organize/{conference.slug}/settings", data=settings_form(conference, slug=slug))
        assert response.status_code == 422 and message in response.text
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).venue == "National Harbor, MD"


def test_interests_add_rename_retire_restore(client):
    conference = signed_in(client)
    response = client.post(f"/organize/{conference.slug}/interests", data={"name": "  Data   and assessment "})
    assert response.status_code == 303
    added = db.session.scalar(select(Interest).where(Interest.name == "Data and assessment"))
    assert added.conference_id == conference.id and added.position > interest(conference, "Literacy").position
    assert "Added “Data and assessment”" in client.get(response.headers["Location"]).text
    duplicate = client.post(f"/organize/{conference.slug}/interests", data={"name": "LITERACY"})
    assert duplicate.status_code == 422 and "“Literacy” is already on the list" in duplicate.text
    assert 'value="LITERACY"' in duplicate.text

    math = interest(conference, "Math")
    holder = make_attendee(conference, offers=["Math"])
    renamed = client.post(f"/organize/{conference.slug}/interests/{math.id}", data={"name": "Mathematics"})
    assert renamed.status_code == 303
    clash = client.post(f"/organize/{conference.slug}/interests/{math.id}", data={"name": "literacy"})
    assert clash.status_code == 422 and "already on the list" in clash.text

    retired = client.post(f"/organize/{conference.slug}/interests/{math.id}/retire")
    assert retired.status_code == 303
    db.session.expire_all()
    assert db.session.get(Interest, math.id).retired
    join_page = client.get(f"/{conference.slug}/join")
    assert "Mathematics" not in join_page.text and "Literacy" in join_page.text
    from conference.attendees.models import Attendee
    assert db.session.get(Attendee, holder.id).offers == {math.id: "Mathematics"}  # kept on the profile
    from conference.organizer.dashboard import stats
    assert [f.name for f in stats.interest_figures(conference) if f.retired] == ["Mathematics"]  # and in figures
    client.post(f"/organize/{conference.slug}/interests/{math.id}/restore")
    db.session.expire_all()
    assert not db.session.get(Interest, math.id).retired

    elsewhere = interest(make_conference(), "Math")
    assert client.post(f"/organize/{conference.slug}/interests/{elsewhere.id}/retire").status_code == 404
    assert client.post(f"/organize/{conference.slug}/interests/{elsewhere.id}", data={"name": "X"}).status_code == 422


def test_registrants_list_search_and_status(client):
    conference = signed_in(client)
    make_attendee(conference, name="Ana Ruiz", school="Lincoln Elementary")
    for n in range(55):
        make_attendee(conference, name=f"Zed Person {n:02d}")
    from conference.organizer.registrants.importer import import_registrants
    import_registrants(conference, b"name,email,role\nImported Ina,ina@x.example.org,Principal\n")
    db.session.commit()
    page = client.get(f"/organize/{conference.slug}/registrants")
    assert "57 registrants" in page.text and "Page 1 of 2" in page.text
    assert "Ana Ruiz" in page.text and "Not joined yet" in page.text
    found = client.get(f"/organize/{conference.slug}/registrants?q=lincoln", headers={"HX-Request": "true"})
    assert found.text.lstrip().startswith('<div id="registrant-list"') and "1 registrant matching" in found.text
    assert "Ana Ruiz" in found.text and "Zed Person" not in found.text
    assert "Nobody matches" in client.get(f"/organize/{conference.slug}/registrants?q=qqq").text
    second = client.get(f"/organize/{conference.slug}/registrants?page=2")
    assert "Page 2 of 2" in second.text

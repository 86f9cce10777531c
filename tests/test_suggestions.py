"""People to meet: ranking on hand-made people, exclusions, dismissing, and the pages."""
from datetime import date

from sqlalchemy import select

from conference.contacts.operations import save_contact
from conference.extensions import db
from conference.network.models import Dismissal
from conference.network.operations import suggestions_for
from tests.factories import make_attendee, make_conference, sign_in_as

HTMX = {"HX-Request": "true"}


def names(suggestions):
    return [s.attendee.name for s in suggestions]


def aspiring(conference, **extra):
    """Me: an aspiring principal looking for scheduling help and a mentor, offering literacy."""
    return make_attendee(conference, name="Ana Ruiz", role="aspiring_principal", years_in_role=None,
                         offers=["Literacy", "School climate and culture", "Equity", "Math"],
                         seeks=["Scheduling", "Being mentored"], **extra)


def test_complementary_beats_shared_and_reasons_say_why(app):
    conference = make_conference()
    me = aspiring(conference)
    shared3 = make_attendee(conference, name="Three Shared", role="teacher_leader",
                            offers=["School climate and culture", "Equity", "Math"])
    helper = make_attendee(conference, name="Can Help", role="teacher_leader", offers=["Scheduling"])
    seeker = make_attendee(conference, name="Needs Literacy", role="teacher_leader", seeks=["Literacy"])
    one_shared = make_attendee(conference, name="One Shared", role="teacher_leader", offers=["Math"])
    make_attendee(conference, name="Nothing In Common", role="teacher_leader", offers=["Budget and operations"])
    result = suggestions_for(me)
    assert names(result) == ["Can Help", "Needs Literacy", "Three Shared", "One Shared"]
    by_name = {s.attendee.name: s for s in result}
    assert by_name["Can Help"].reasons[0] == "Can help with scheduling, which you are looking for"
    assert by_name["Needs Literacy"].reasons[0] == "Is looking for literacy, which you can help with"
    assert by_name["Three Shared"].reasons == ["Both interested in school climate and culture, equity and math"]
    assert by_name["Can Help"].score > by_name["Three Shared"].score > by_name["One Shared"].score
    assert {shared3.id, helper.id, seeker.id, one_shared.id} == {s.attendee.id for s in result}


def test_mentors_pair_by_role_and_years(app):
    conference = make_conference()
    me = aspiring(conference)
    novice = make_attendee(conference, name="New Principal", role="principal", years_in_role=1,
                           offers=["Mentoring (offering)"])
    veteran = make_attendee(conference, name="Veteran Principal", role="principal", years_in_role=14,
                            offers=["Mentoring (offering)"])
    peer = make_attendee(conference, name="Fellow Aspirant", role="aspiring_principal",
                         offers=["Mentoring (offering)"])
    result = suggestions_for(me)
    assert names(result)[:2] == ["Veteran Principal", "New Principal"]
    assert peer.id not in {s.attendee.id for s in result}  # not further along: no mentoring match
    first = result[0]
    assert first.reasons[0] == "An experienced principal open to mentoring — you are an aspiring principal"
    assert result[1].reasons[0] == "A principal open to mentoring — you are an aspiring principal"
    assert veteran.id == first.attendee.id and novice.id == result[1].attendee.id


def test_an_experienced_mentor_is_shown_people_who_want_a_mentor(app):
    conference = make_conference()
    me = make_attendee(conference, name="Mentor Me", role="principal", years_in_role=12,
                       offers=["Mentoring (offering)", "Scheduling"])
    early = make_attendee(conference, name="Early Career", role="principal", years_in_role=1,
                          seeks=["Being mentored"])
    make_attendee(conference, name="Seasoned Peer", role="principal", years_in_role=15, seeks=["Being mentored"])
    result = suggestions_for(me)
    assert names(result) == ["Early Career"]
    assert result[0].reasons[0] == "A principal looking for mentoring — you offer mentoring"
    assert early.id == result[0].attendee.id


def test_a_conference_without_mentoring_interests_ranks_on_the_rest(app):
    from tests.factories import interest
    conference = make_conference()
    for name in ("Mentoring (offering)", "Being mentored"):
        db.session.delete(interest(conference, name))
    db.session.commit()
    me = make_attendee(conference, name="Me", role="aspiring_principal", seeks=["Scheduling"], offers=["Math"])
    make_attendee(conference, name="Veteran", role="principal", years_in_role=20, offers=["Budget and operations"])
    make_attendee(conference, name="Shares Math", role="teacher_leader", offers=["Math"])
    make_attendee(conference, name="Helps", role="teacher_leader", offers=["Scheduling"])
    result = suggestions_for(me)
    assert names(result) == ["Helps", "Shares Math"]  # no mentoring interests: no mentoring match
    assert result[0].reasons == ["Can help with scheduling, which you are looking for"]


def test_hidden_saved_savers_self_and_other_conferences_never_appear(app):
    conference = make_conference()
    other_conference = make_conference()
    me = aspiring(conference)
    hidden = make_attendee(conference, name="Hidden Helper", offers=["Scheduling"])
    hidden.hidden = True
    saved = make_attendee(conference, name="Saved Helper", offers=["Scheduling"])
    saver = make_attendee(conference, name="Saved Me", offers=["Scheduling"])
    make_attendee(other_conference, name="Elsewhere Helper", offers=["Scheduling"])
    visible = make_attendee(conference, name="Visible Helper", offers=["Scheduling"])
    save_contact(me, saved)
    save_contact(saver, me)
    db.session.commit()
    assert names(suggestions_for(me)) == ["Visible Helper"]
    assert visible.id and hidden.id


def test_dismissed_stay_dismissed_and_undo_brings_them_back(client):
    conference = make_conference()
    me = aspiring(conference)
    helper = make_attendee(conference, name="Can Help", offers=["Scheduling"])
    make_attendee(conference, name="Also Helps", offers=["Scheduling", "Math"])
    sign_in_as(client, me)
    response = client.post(f"/me/people/{helper.id}/dismiss")
    assert response.status_code == 303 and response.headers["Location"] == "/me/people"
    assert db.session.get(Dismissal, (me.id, helper.id)) is not None
    assert client.post(f"/me/people/{helper.id}/dismiss").status_code == 303  # twice is fine
    assert "Can Help" not in client.get("/me/people").text
    assert names(suggestions_for(me)) == ["Also Helps"]
    undone = client.post(f"/me/people/{helper.id}/undo", headers=HTMX, data={"view": "full"})
    assert undone.status_code == 200 and 'id="people-list"' in undone.text and "<html" not in undone.text
    assert "Can Help" in undone.text
    assert db.session.scalar(select(Dismissal)) is None


def test_dismiss_with_htmx_returns_the_list_with_undo(client):
    conference = make_conference()
    me = aspiring(conference)
    helper = make_attendee(conference, name="Can Help", offers=["Scheduling"])
    sign_in_as(client, me)
    response = client.post(f"/me/people/{helper.id}/dismiss?view=compact", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="people-list"')
    assert "We won't suggest Can Help again." in response.text and "Undo" in response.text
    plain = client.post(f"/me/people/{helper.id}/undo?view=compact")
    assert plain.status_code == 303 and plain.headers["Location"] == "/me/contacts"


def test_dismissing_someone_unknown_or_elsewhere_is_not_found(client):
    conference = make_conference()
    me = aspiring(conference)
    elsewhere = make_attendee(make_conference(), offers=["Scheduling"])
    sign_in_as(client, me)
    assert client.post("/me/people/999999/dismiss").status_code == 404
    assert client.post(f"/me/people/{elsewhere.id}/dismiss").status_code == 404
    assert client.post(f"/me/people/{me.id}/dismiss").status_code == 404
    assert db.session.scalar(select(Dismissal)) is None


def test_contacts_page_loads_suggestions_lazily(client):
    conference = make_conference()
    me = aspiring(conference)
    for n in range(5):
        make_attendee(conference, name=f"Helper {n}", offers=["Scheduling"])
    sign_in_as(client, me)
    page = client.get("/me/contacts")
    assert 'data-hx-get="/me/people?view=compact"' in page.text and 'data-hx-trigger="revealed"' in page.text
    assert "Helper 0" not in page.text  # not computed with the contacts page
    fragment = client.get("/me/people?view=compact", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.count('class="suggestion"') == 3
    assert "See more people to meet" in fragment.text
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]
    full = client.get("/me/people")
    assert full.status_code == 200 and "<html" in full.text and full.text.count('class="suggestion"') == 5


def test_pages_without_interests_and_after_closing(client):
    conference = make_conference()
    me = make_attendee(conference, name="No Interests")
    make_attendee(conference, offers=["Scheduling"])
    sign_in_as(client, me)
    assert "Add my interests" in client.get("/me/people").text
    conference.closes_on = date(2020, 1, 1)
    db.session.commit()
    closed = client.get("/me/people")
    assert "has closed" in closed.text and 'class="suggestion"' not in closed.text


def test_signed_out_people_page_asks_to_sign_in(client):
    response = client.get("/me/people")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_years_in_role_on_the_profile(client):
    from tests.test_join import join_form
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data=join_form(conference, years_in_role="3"))
    assert response.status_code == 303
    from conference.attendees.models import Attendee
    ana = db.session.scalar(select(Attendee).where(Attendee.email == "ana@school.example.org"))
    assert ana.years_in_role == 3
    for typed, message in (("three", "as a number, like 3"), ("99", "from 0 to 60"), ("-1", "from 0 to 60")):
        response = client.post("/me/profile", data=join_form(conference, years_in_role=typed))
        assert response.status_code == 422, typed
        assert message in response.text and f'value="{typed}"' in response.text
    db.session.refresh(ana)
    assert ana.years_in_role == 3
    assert client.post("/me/profile", data=join_form(conference, years_in_role="")).status_code == 303
    db.session.refresh(ana)
    assert ana.years_in_role is None
    assert 'name="years_in_role"' in client.get("/me/profile").text

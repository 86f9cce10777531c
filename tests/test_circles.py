"""Circles: private to their owner, one vCard file, an sms: link from shared numbers only, handles."""
import vobject
from sqlalchemy import select

from conference.circles.models import Circle, CircleMember
from conference.circles.operations import create_circle, group_text, handles_of, members_of
from conference.contacts.operations import save_contact
from conference.extensions import db
from tests.factories import make_attendee, make_conference, sign_in_as


def circle_with_members(client=None):
    """Me with three contacts: one shares a phone with anyone, one only with people they saved
    back (and did save me), one keeps the phone private."""
    conference = make_conference()
    me = make_attendee(conference, name="Ana Ruiz")
    open_phone = make_attendee(conference, name="Maya Johnson", channels={
        "phone": ("(202) 555-0143", True), "x": ("@maya_leads", True), "voxer": ("mayaj", True),
        "instagram": ("maya.leads", False)})
    mutual = make_attendee(conference, name="Jamal Okafor", channels={
        "phone": ("(202) 555-0177", True), "instagram": ("@jamal.edu", True)})
    mutual.channels[0].visibility = "mutual"
    private = make_attendee(conference, name="Wei Chen", channels={"phone": ("(202) 555-0199", False),
                                                                   "voxer": ("weichen", True)})
    connections = [save_contact(me, person) for person in (open_phone, mutual, private)]
    save_contact(mutual, me)  # Jamal saved Ana back, so his "mutual" number is hers to see
    circle = create_circle(me, "Early-career principals, Region 5")
    db.session.commit()
    if client is not None:
        sign_in_as(client, me)
    return conference, me, circle, connections


def test_create_add_and_list(client):
    conference, me, circle, connections = circle_with_members(client)
    response = client.post(f"/me/circles/{circle.id}/members",
                           data={"members": [str(c.id) for c in connections]})
    assert response.status_code == 303 and response.headers["Location"] == f"/me/circles/{circle.id}?added=3"
    assert len(members_of(circle)) == 3
    created = client.post("/me/circles", data={"name": "  Voxer   morning crew "})
    assert created.status_code == 303
    crew = db.session.scalar(select(Circle).where(Circle.name == "Voxer morning crew"))
    assert crew.owner_id == me.id
    page = client.get("/me/circles")
    assert "Early-career principals, Region 5" in page.text and "3 people" in page.text
    shown = client.get(f"/me/circles/{circle.id}")
    assert shown.status_code == 200
    assert "Maya Johnson" in shown.text and "Wei Chen" in shown.text


def test_bad_names_and_members_get_messages(client):
    conference, me, circle, connections = circle_with_members(client)
    for name, message in (("", "Give the circle a name"), ("x" * 81, "at most 80 characters"),
                          ("early-career PRINCIPALS, region 5", "You already have a circle called")):
        response = client.post("/me/circles", data={"name": name})
        assert response.status_code == 422, name
        assert message in response.text and "There is a problem" in response.text
        if name:
            assert f'value="{name}"' in response.text
    assert len(db.session.scalars(select(Circle)).all()) == 1
    assert client.post(f"/me/circles/{circle.id}/members", data={}).status_code == 422
    stranger_connection = save_contact(make_attendee(conference), make_attendee(conference))
    db.session.commit()
    response = client.post(f"/me/circles/{circle.id}/members", data={"members": [str(stranger_connection.id)]})
    assert response.status_code == 422 and "not in your contacts" in response.text
    assert client.post(f"/me/circles/{circle.id}/members", data={"members": ["abc"]}).status_code == 422
    assert db.session.scalar(select(CircleMember)) is None


def test_a_circle_is_private_to_its_owner(client):
    conference, me, circle, connections = circle_with_members()
    db.session.add(CircleMember(circle_id=circle.id, connection_id=connections[0].id))
    db.session.commit()
    other = make_attendee(conference, name="Curious Colleague")
    sign_in_as(client, other)
    assert client.get(f"/me/circles/{circle.id}").status_code == 404
    assert client.get(f"/me/circles/{circle.id}.vcf").status_code == 404
    assert client.post(f"/me/circles/{circle.id}/members", data={"members": [str(connections[0].id)]}).status_code == 404
    assert client.post(f"/me/circles/{circle.id}/delete").status_code == 404
    assert f"/me/circles/{circle.id}\"" not in client.get("/me/circles").text
    assert db.session.get(Circle, circle.id) is not None


def test_vcard_file_parses_back_with_only_shared_fields(client):
    conference, me, circle, connections = circle_with_members(client)
    client.post(f"/me/circles/{circle.id}/members", data={"members": [str(c.id) for c in connections]})
    response = client.get(f"/me/circles/{circle.id}.vcf")
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert 'filename="early-career-principals-region-5.vcf"' in response.headers["Content-Disposition"]
    cards = {card.fn.value: card for card in vobject.readComponents(response.text)}
    assert set(cards) == {"Maya Johnson", "Jamal Okafor", "Wei Chen"}
    assert cards["Maya Johnson"].tel.value == "+12025550143"
    assert cards["Jamal Okafor"].tel.value == "+12025550177"
    assert "tel" not in cards["Wei Chen"].contents
    assert "Early-career principals, Region 5" in cards["Wei Chen"].categories.value


def test_sms_link_uses_only_numbers_shared_with_the_owner(client):
    conference, me, circle, connections = circle_with_members(client)
    client.post(f"/me/circles/{circle.id}/members", data={"members": [str(c.id) for c in connections]})
    members = members_of(circle)
    text = group_text(me, members)
    assert text.href == "sms:+12025550177,+12025550143"  # members by name: Jamal, Maya (Wei shared none)
    assert text.without == ["Wei Chen"]
    assert "+12025550199" not in text.href
    page = client.get(f"/me/circles/{circle.id}")
    assert 'href="sms:+12025550177,+12025550143"' in page.text
    assert "+12025550199" not in page.text and "555-0199" not in page.text


def test_mutual_numbers_stay_out_when_not_saved_back(app):
    conference = make_conference()
    me = make_attendee(conference, name="Ana Ruiz")
    jamal = make_attendee(conference, name="Jamal Okafor", channels={"phone": ("(202) 555-0177", True)})
    jamal.channels[0].visibility = "mutual"
    connection = save_contact(me, jamal)
    circle = create_circle(me, "Circle")
    db.session.add(CircleMember(circle_id=circle.id, connection_id=connection.id))
    db.session.commit()
    text = group_text(me, members_of(circle))
    assert text.href is None and text.without == ["Jamal Okafor"]


def test_handles_to_copy_are_only_the_shared_ones(client):
    conference, me, circle, connections = circle_with_members(client)
    client.post(f"/me/circles/{circle.id}/members", data={"members": [str(c.id) for c in connections]})
    handles = handles_of(me, members_of(circle))
    assert handles.text() == "Voxer: mayaj, weichen\nX: @maya_leads\nInstagram: @jamal.edu"
    page = client.get(f"/me/circles/{circle.id}")
    assert "Voxer: mayaj, weichen" in page.text and "maya.leads" not in page.text
    assert 'data-copy="#handles"' in page.text


def test_remove_member_and_delete_circle_keep_contacts(client):
    conference, me, circle, connections = circle_with_members(client)
    client.post(f"/me/circles/{circle.id}/members", data={"members": [str(c.id) for c in connections]})
    response = client.post(f"/me/circles/{circle.id}/members/{connections[0].id}/remove")
    assert response.status_code == 303
    assert [c.contact.name for c in members_of(circle)] == ["Jamal Okafor", "Wei Chen"]
    assert client.post(f"/me/circles/{circle.id}/delete").status_code == 303
    assert db.session.scalar(select(Circle)) is None and db.session.scalar(select(CircleMember)) is None
    assert len(client.get("/me/contacts").text.split('class="contact-name"')) - 1 == 3

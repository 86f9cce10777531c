"""Registration platforms' exports imported as they are (tests/data/registrations/: Eventbrite, Cvent,
Whova, RegFox, Google Forms), with a preview that names every column before anything is written, and
columns chosen by hand in the console and on the command line."""
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.events.models import utcnow
from conference.extensions import db
from conference.organizer.registrants.importer import ImportOptions, preview_import
from conference.organizer.registrants.models import ImportBatch, ImportUpload
from tests.factories import make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer
from tests.test_organizer_import import attendees, choices_on, preview, send, setup, submit

FILES = Path(__file__).parent / "data" / "registrations"


def fixture(name: str) -> bytes:
    return (FILES / name).read_bytes()


def reasons_of(result) -> dict[str, str]:
    return {c.header: c.how for c in result.mapping.columns}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# file -> what each field is taken from, and the columns left unused
MAPPINGS = {
    "eventbrite-attendees.csv": (
        {"first": "First Name", "last": "Last Name", "email": "Email", "role": "Job Title", "school": "Company",
         "state": "Home State"},
        ["Order #", "Order Date", "Quantity", "Price Tier", "Ticket Type", "Attendee #", "Group", "Order Type",
         "Currency", "Total Paid", "Fees Paid", "Eventbrite Fees", "Eventbrite Payment Processing",
         "Attendee Status", "Home Address 1", "Home Address 2", "Home City", "Home Zip", "Home Country",
         "Cell Phone", "Which of the following best describes you?",
         "Anything we should know before the conference?"]),
    "cvent-registration.csv": (
        {"first": "First Name", "last": "Last Name", "email": "Email Address", "role": "Title",
         "school": "Company Name", "state": "Work State/Province"},
        ["Confirmation Number", "Registration Status", "Registration Type", "Registration Date", "Prefix",
         "Full Name", "Work Phone", "Work City", "Work ZIP/Postal Code", "Admission Item", "Session Preferences"]),
    "whova-attendees.csv": (
        {"first": "First Name", "last": "Last Name", "email": "Email", "role": "Title", "school": "Affiliation",
         "state": "State", "interests": "Interests"},
        ["Ticket", "Registration Time", "City", "Country", "LinkedIn", "Twitter"]),
    "regfox-registrants.csv": (
        {"first": "Name (First)", "last": "Name (Last)", "email": "Email", "role": "Your Role",
         "school": "School / Organization", "district": "School District", "state": "State"},
        ["Registrant ID", "Order Number", "Status", "Date Created", "Registration Options", "Phone",
         "I'd like to connect about", "Amount", "Coupon Code"]),
    "google-form.csv": (
        {"first": "First name", "last": "Last name", "email": "Email Address", "role": "What is your current role?",
         "school": "Name of your school", "district": "District or network", "state": "State"},
        ["Timestamp", "Which topics are you looking for help with?",
         "Which topics could you help other leaders with?", "Anything else we should know?"]),
}


@pytest.mark.parametrize("name", sorted(MAPPINGS))
def test_the_preview_names_every_column_and_writes_nothing(client, name):
    conference = setup(client)
    page, location = preview(client, conference, fixture(name), name)
    assert page.status_code == 200, page.text[:3000]
    used, unused = MAPPINGS[name]
    result = preview_import(conference, fixture(name))
    assert result.columns == used
    assert result.ignored_columns == unused
    for header in [*used.values(), *unused]:
        assert f">{header.replace(chr(39), '&#39;')}</th>" in page.text, header
    assert page.text.count(">Not used</option>") == len(used) + len(unused)
    assert not attendees(conference) and count(ImportBatch) == 0
    upload = db.session.get(ImportUpload, location.rsplit("/", 1)[1])
    assert upload.data == fixture(name) and upload.filename == name


def test_eventbrite_attendees_import_with_accents_commas_and_line_breaks(client):
    conference = setup(client)
    page, location = preview(client, conference, fixture("eventbrite-attendees.csv"), "eventbrite-attendees.csv")
    assert "Import 7 registrants" in page.text
    assert "Unknown role “Director of Curriculum &amp; Instruction”" in page.text
    done = submit(client, location)
    assert done.status_code == 200 and "eventbrite-attendees.csv: imported" in done.text
    people = attendees(conference)
    assert len(people) == 7
    nunez = people["mj.nunez@lincoln-elem.example.org"]
    assert (nunez.name, nunez.role, nunez.school, nunez.state) == (
        "María José Ñúñez-O'Brien", "principal", "Lincoln Elementary, Arlington Public Schools", "VA")
    assert people["tran.dang@lincoln-elem.example.org"].name == "Trần Đặng"
    assert people["an.nguyen@westfield.example.org"].role == "teacher_leader"     # "Instructional Coach"
    assert people["ana.delavega@riverside.example.org"].school == "Riverside Unified — Jefferson K-8"
    assert people["zoe.mueller@bücher.example"].name == "Zoë Müller"
    assert people["siobhan.obrien@stbrigid.example.org"].state == "MA"             # "Massachusetts"
    assert "lukasz.kowalski@hawthorne.example.org" not in people                    # its role is a job title
    assert db.session.scalar(select(ImportBatch)).filename == "eventbrite-attendees.csv"
    assert count(ImportUpload) == 0


def test_cvent_report_saved_by_excel_in_windows_1252(client):
    conference = setup(client)
    assert fixture("cvent-registration.csv").decode("cp1252").startswith("Confirmation Number")
    _, location = preview(client, conference, fixture("cvent-registration.csv"), "cvent-registration.csv")
    assert submit(client, location).status_code == 200
    people = attendees(conference)
    assert {a.name for a in people.values()} == {
        "José Álvarez", "Françoise Lefèvre", "Sæmundur Sæmundsson", "Günther Straße", "Ana García", "Björn Ødegård"}
    jose = people["jose.alvarez@metro.example.org"]
    assert (jose.school, jose.role, jose.state) == ("Escuela Núñez, Metro Unified", "principal", "TX")
    assert people["g.strasse@franklin.example.org"].role == "district_leader"       # "Superintendent"
    assert people["g.strasse@franklin.example.org"].state == "TN"                   # "Tennessee"


def test_whova_export_with_a_job_title_and_an_unknown_interest(client):
    conference = setup(client)
    page, location = preview(client, conference, fixture("whova-attendees.csv"), "whova-attendees.csv")
    assert "Its header, and its values" in page.text   # "Title" holds roles in this file
    assert "The interest “Robotics” is not on this conference&#39;s list: imported without it" in page.text
    assert "Unknown role “Dean of Students”" in page.text
    assert submit(client, location, default_role="teacher_leader").status_code == 303  # a changed choice: no import
    page = client.get(location)
    assert "Import 5 registrants" in page.text
    assert "The role “Dean of Students” is not one we know: imported as teacher leader" in page.text
    assert submit(client, location).status_code == 200
    people = attendees(conference)
    assert len(people) == 5 and people["jl.dupre@acadiana.example.org"].role == "teacher_leader"
    mateo = people["mateo.ibanez@pinecrest.example.org"]
    assert set(mateo.seeks.values()) == {"Scheduling"}
    assert set(people["hang.le@garden.example.org"].seeks.values()) == {"Literacy", "Family and community engagement"}
    assert people["hang.le@garden.example.org"].school == "Garden Grove Elementary, Garden Grove USD"


def test_regfox_export_with_an_abandoned_registration_and_a_punycode_domain(client):
    conference = setup(client)
    _, location = preview(client, conference, fixture("regfox-registrants.csv"), "regfox-registrants.csv")
    done = submit(client, location)
    assert "<td class=\"num\">5</td><td></td><td>No name; no email; no role</td>" in done.text
    people = attendees(conference)
    assert set(people) == {"dolores.pena@valle.example.org", "kwame.mensah@northside.example.org",
                           "renee.beaulieu@bücher.example"}                         # stored as joining stores it
    assert people["kwame.mensah@northside.example.org"].name == "Kwame Mensah-Ødegaard"
    assert people["dolores.pena@valle.example.org"].district == "Albuquerque Public Schools"


def test_google_form_interests_chosen_by_hand(client):
    conference = setup(client)
    page, location = preview(client, conference, fixture("google-form.csv"), "google-form.csv")
    assert page.text.count("Could be interests (looking for, or can help with): choose by hand") == 2
    header = fixture("google-form.csv").decode().splitlines()[0].split(",")
    looking, helping = header.index("Which topics are you looking for help with?"), \
        header.index("Which topics could you help other leaders with?")
    assert submit(client, location, "preview", **{f"column-{looking}": "interests",
                                                  f"column-{helping}": "offers"}).status_code == 303
    page = client.get(location)
    assert page.text.count(">Your choice</td>") == 2 and "Import 4 registrants" in page.text
    assert submit(client, location).status_code == 200
    diego = attendees(conference)["diego.ramirez@sierra.example.org"]
    assert (diego.name, diego.role, diego.state) == ("Diego Ramírez", "aspiring_principal", "NV")
    assert set(diego.seeks.values()) == {"Being mentored", "Aspiring to the principalship"}
    assert set(diego.offers.values()) == {"Math"}
    ngozi = attendees(conference)["ngozi.okafor@maple.example.org"]
    assert set(ngozi.offers.values()) == {"Mentoring (offering)", "Literacy"}


def test_first_and_last_name_beat_columns_that_only_look_like_a_name(client):
    conference = setup(client)
    data = ("Attendee #,Badge Name,Attendee,First Name,Last Name,Email,Role\r\n"
            "1288734501,Mimi,General admission,María,Ñúñez,maria@x.example.org,Principal\r\n").encode()
    result = preview_import(conference, data)
    assert result.columns == {"first": "First Name", "last": "Last Name", "email": "Email", "role": "Role"}
    reasons = reasons_of(result)
    assert reasons["Attendee"] == reasons["Attendee #"] == "not a column we import"
    assert reasons["Badge Name"] == "not a column we import"
    upload_page = submit(client, preview(client, conference, data)[1])
    assert upload_page.status_code == 200
    assert attendees(conference)["maria@x.example.org"].name == "María Ñúñez"
    both = preview_import(conference, ("Name,First Name,Last Name,Email,Role\r\n"
                                       "Ana R.,Ana,Ruiz,ana@x.example.org,Principal\r\n").encode())
    assert "name" not in both.columns
    assert reasons_of(both)["Name"] == "first name and last name are used instead"


def test_a_header_that_cannot_be_matched_confidently_is_never_guessed(client):
    conference = setup(client)
    data = ("Full name,Title,Could we follow up with you by email?,Your school or district,E-mail\r\n"
            "Ana Ruiz,Dr.,Yes,Lincoln,ana@x.example.org\r\n"
            "Bo Li,Mr.,No,Metro,bo@x.example.org\r\n").encode()
    page, location = preview(client, conference, data)
    assert page.status_code == 422
    assert "The file has no role column" in page.text and 'value="import"' not in page.text
    reasons = {c.header: (c.field, c.how) for c in preview_import(conference, data).mapping.columns}
    assert reasons["Title"] == (None, "could be the role, but its values don't look like it")
    assert reasons["Could we follow up with you by email?"] == (None, "“E-mail” is used for email")
    assert reasons["Your school or district"] == (None, "could be district or school: choose by hand")
    refused = submit(client, location)  # an import sent anyway (a stale page): refused, the file kept
    assert refused.status_code == 422 and "The file has no role column" in refused.text
    assert client.get(location).status_code == 422
    assert not attendees(conference)


def test_an_exact_header_beats_a_well_known_one_and_a_question(client):
    conference = setup(client)
    data = ("Company,School,Buyer Email,Email,What is your role?,Job Title,Name\r\n"
            "Acme Tutoring,Lincoln,buyer@x.example.org,ana@x.example.org,Principal,Head Teacher,Ana\r\n").encode()
    result = preview_import(conference, data)
    assert result.columns == {"school": "School", "email": "Email", "role": "Job Title", "name": "Name"}
    reasons = reasons_of(result)
    assert reasons["Company"] == "“School” is used for school"
    assert reasons["What is your role?"] == "“Job Title” is used for role"
    assert reasons["Buyer Email"] == "not a column we import"


def test_a_column_chosen_by_hand_replaces_the_automatic_one(client):
    conference = setup(client)
    data = fixture("eventbrite-attendees.csv")
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    describes, company = header.index("Which of the following best describes you?"), header.index("Company")
    page, location = preview(client, conference, data)
    submit(client, location, "preview", **{f"column-{describes}": "role", f"column-{company}": ""})
    page = client.get(location)
    assert "“Which of the following best describes you?” is used for role (your choice)" in page.text
    assert "You chose not to use it" in page.text and "Import 8 registrants" in page.text
    assert submit(client, location).status_code == 200
    lukasz = attendees(conference)["lukasz.kowalski@hawthorne.example.org"]
    assert (lukasz.role, lukasz.school) == ("district_leader", "")
    db.session.expire_all()
    again, location = preview(client, conference, data)
    assert "Undo my column choices" not in again.text  # a new upload starts from the automatic choices


def test_changing_a_choice_and_pressing_import_shows_the_preview_again(client):
    conference = setup(client)
    _, location = preview(client, conference, fixture("google-form.csv"))
    changed = submit(client, location, **{"column-0": "name"})
    assert changed.status_code == 303 and changed.headers["Location"].endswith("?changed=1")
    page = client.get(changed.headers["Location"])
    assert "You changed the choices, so nothing was imported" in page.text
    assert not attendees(conference)
    undone = submit(client, location, "reset")
    assert undone.status_code == 303 and db.session.get(ImportUpload, location.rsplit("/", 1)[1]).choices == {
        "columns": {}, "default_role": ""}


def test_the_file_waits_in_the_database_for_any_server(client, app):
    """Preview on one server, import on another: the file and the choices are rows, not disk or cookie."""
    conference = setup(client)
    sent = send(client, conference, fixture("whova-attendees.csv"), "whova-attendees.csv")
    location = sent.headers["Location"]
    with client.session_transaction() as session:
        assert set(session) <= {"organizer_id", "_permanent", "csrf_token", "_fresh"}
    assert not any(Path(app.instance_path).rglob("*.csv"))
    other = app.test_client()  # another browser session of the same organizer, on another server
    organizer_id = db.session.scalar(select(ImportUpload.organizer_id))
    with other.session_transaction() as session:
        session["organizer_id"] = organizer_id
    form = {**choices_on(other.get(location).text), "action": "import", "default_role": "other"}
    assert other.post(location, data=form).status_code == 303
    assert other.post(location, data={**form, "action": "import"}).status_code == 200
    assert len(attendees(conference)) == 5


def test_confirming_twice_imports_once_and_discarding_keeps_nothing(client):
    conference = setup(client)
    _, location = preview(client, conference, fixture("cvent-registration.csv"))
    form = {**choices_on(client.get(location).text), "action": "import"}
    assert client.post(location, data=form).status_code == 200
    second = client.post(location, data=form)
    assert second.status_code == 404 and "no longer waiting to be imported" in second.text
    assert count(ImportBatch) == 1 and len(attendees(conference)) == 6
    _, location = preview(client, conference, fixture("whova-attendees.csv"))
    discarded = submit(client, location, "discard")
    assert discarded.status_code == 303 and discarded.headers["Location"] == f"/organize/{conference.slug}/import"
    assert count(ImportUpload) == 0 and client.get(location).status_code == 404


def test_an_expired_file_is_refused_and_removed_by_the_next_upload(client):
    conference = setup(client)
    _, location = preview(client, conference, fixture("whova-attendees.csv"))
    upload = db.session.scalar(select(ImportUpload))
    upload.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.get(location)
    assert expired.status_code == 404 and "Upload it again" in expired.text
    preview(client, conference, fixture("cvent-registration.csv"))
    assert [u.filename for u in db.session.scalars(select(ImportUpload))] == ["registrants.csv"]


def test_another_conferences_file_is_not_found(client):
    conference = setup(client)
    _, location = preview(client, conference, fixture("whova-attendees.csv"))
    other = make_conference()
    sign_in_organizer(client, make_organizer(other, email="other@association.example.org"))
    token = location.rsplit("/", 1)[1]
    assert client.get(f"/organize/{other.slug}/import/{token}").status_code == 404
    assert client.get(location).status_code == 403


def test_choices_by_hand_that_clash_are_named(client):
    conference = setup(client)
    data = "Name,Email,Role,Contact email\r\nAna,ana@x.example.org,Principal,a@x.example.org\r\n".encode()
    result = preview_import(conference, data, ImportOptions({1: "email", 3: "email"}))
    assert result.blocked.startswith("“Email” and “Contact email” are both chosen as email: choose one.")


def test_the_command_line_maps_columns_by_hand_and_needs_no_input(app, tmp_path):
    conference = make_conference()
    path = tmp_path / "google-form.csv"
    path.write_bytes(fixture("google-form.csv"))
    runner = app.test_cli_runner()
    base = ["import-registrants", str(path), "--conference", conference.slug]
    report = runner.invoke(args=base, input=None)
    assert report.exit_code == 0, report.output
    assert "“Which topics are you looking for help with?” not used (could be interests" in report.output
    assert "“Timestamp” not used (not a column we import)" in report.output
    assert "“What is your current role?” → role (a word in its header, and its values)" in report.output
    assert "Nothing was written" in report.output and not attendees(conference)
    mapped = runner.invoke(args=[*base, "--map", "Which topics are you looking for help with?=interests",
                                 "--map", "10=offers", "--map", "District or network=none", "--yes"])
    assert mapped.exit_code == 0, mapped.output
    assert "“Which topics could you help other leaders with?” → interests: can help with (your choice)" in mapped.output
    assert "Imported: 4 new" in mapped.output
    diego = attendees(conference)["diego.ramirez@sierra.example.org"]
    assert set(diego.offers.values()) == {"Math"} and diego.district == ""
    for bad, message in ((["--map", "Nope=school"], "The file has no column “Nope”"),
                         (["--map", "State=planet"], "“planet” is not a field"),
                         (["--map", "State"], "write the column's header, “=”, and a field")):
        failed = runner.invoke(args=[*base, *bad])
        assert failed.exit_code != 0 and message in failed.output, failed.output


def test_the_command_line_stops_when_a_required_column_is_missing(app, tmp_path):
    conference = make_conference()
    path = tmp_path / "people.csv"
    path.write_bytes(b"Full name,E-mail,Title\r\nAna Ruiz,ana@x.example.org,Dr.\r\n")
    runner = app.test_cli_runner()
    base = ["import-registrants", str(path), "--conference", conference.slug, "--yes"]
    failed = runner.invoke(args=base)
    assert failed.exit_code != 0 and "The file has no role column" in failed.output
    assert "--map \"COLUMN=FIELD\"" in failed.output and not attendees(conference)
    done = runner.invoke(args=[*base, "--default-role", "other"])
    assert done.exit_code == 0 and attendees(conference)["ana@x.example.org"].role == "other"

"""Registrant import from CSV: encodings, lenient headers, row-by-row checks, idempotent re-import."""
import io
import re

from sqlalchemy import func, select

from conference.attendees.models import Attendee
from conference.extensions import db
from conference.organizer.registrants.importer import import_registrants, read_table
from conference.organizer.registrants.models import ImportBatch
from tests.factories import interest, make_attendee, make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer

HEADER = "Name,Email,Role,School,District,State\r\n"
ROWS = ("Ana García,ana@school.example.org,Principal,Escuela Núñez,Metro Unified,TX\r\n"
        "Zoë O'Brien,zoe@school.example.org,Assistant principal,Lincoln Elementary,Springfield,Virginia\r\n")


def send(client, conference, data: bytes, filename: str = "registrants.csv"):
    """The upload: a redirect to the file's preview, or the upload page with the file's problem."""
    return client.post(f"/organize/{conference.slug}/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def choices_on(page: str) -> dict[str, str]:
    """The preview's form as a browser would send it untouched: every column as shown."""
    form = {f"column-{n}": value for n, value in re.findall(r'name="shown-(\d+)" value="([^"]*)"', page)}
    form.update({f"shown-{n}": value for n, value in re.findall(r'name="shown-(\d+)" value="([^"]*)"', page)})
    role = re.search(r'<select[^>]* name="default_role">.*?</select>', page, re.S)
    chosen = re.search(r'<option selected value="([^"]*)"', role.group(0)) if role else None
    form["default_role"] = chosen.group(1) if chosen else ""
    return form


def preview(client, conference, data: bytes, filename: str = "registrants.csv"):
    """Upload a file and open its preview: (the preview page, its address)."""
    sent = send(client, conference, data, filename)
    if sent.status_code != 303:
        return sent, None
    return client.get(sent.headers["Location"]), sent.headers["Location"]


def submit(client, location: str, action: str = "import", **changes):
    """Press a button of the preview, after changing its selects (column-<n>=field, default_role=...)."""
    form = choices_on(client.get(location).text)
    form.update(changes)
    return client.post(location, data={**form, "action": action})


def upload(client, conference, data: bytes, filename: str = "registrants.csv"):
    """Upload a file and import it as its preview shows it: the organizer's two steps."""
    page, location = preview(client, conference, data, filename)
    if location is None or page.status_code != 200:
        return page
    return submit(client, location)


def attendees(conference) -> dict[str, Attendee]:
    return {a.email: a for a in db.session.scalars(select(Attendee).where(Attendee.conference_id == conference.id))}


def setup(client):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    return conference


def test_utf8_import_creates_attendees_with_badge_codes(client):
    conference = setup(client)
    response = upload(client, conference, (HEADER + ROWS).encode("utf-8"))
    assert response.status_code == 200
    assert "imported" in response.text
    people = attendees(conference)
    ana, zoe = people["ana@school.example.org"], people["zoe@school.example.org"]
    assert (ana.name, ana.role, ana.school, ana.state) == ("Ana García", "principal", "Escuela Núñez", "TX")
    assert (zoe.name, zoe.role, zoe.state) == ("Zoë O'Brien", "assistant_principal", "VA")
    assert len(ana.badge_code) == 12 and ana.badge_code != zoe.badge_code
    batch = db.session.scalar(select(ImportBatch))
    assert ana.import_batch_id == batch.id and batch.created == 2 and batch.filename == "registrants.csv"
    assert ana.claimed_at is None and not ana.has_joined


def test_utf8_with_bom_and_windows_1252_read_the_same(client):
    conference = setup(client)
    for encoded in ((HEADER + ROWS).encode("utf-8-sig"), (HEADER + ROWS).encode("cp1252")):
        db.session.execute(Attendee.__table__.delete())
        db.session.commit()
        assert upload(client, conference, encoded).status_code == 200
        people = attendees(conference)
        assert people["ana@school.example.org"].name == "Ana García"
        assert people["ana@school.example.org"].school == "Escuela Núñez"
        assert people["zoe@school.example.org"].name == "Zoë O'Brien"


def test_header_aliases_semicolons_and_first_last_names(client):
    conference = setup(client)
    data = ("\ufeffFirst Name;Last Name;E-mail Address;Job Title;School Name;School District;ST;Interests\r\n"
            "Ana;Ruiz;ANA@School.example.org;AP;Lincoln;Metro;tx;Literacy| Scheduling\r\n").encode("utf-8")
    assert upload(client, conference, data).status_code == 200
    ana = attendees(conference)["ana@school.example.org"]
    assert (ana.name, ana.role, ana.school, ana.district, ana.state) == ("Ana Ruiz", "assistant_principal", "Lincoln",
                                                                        "Metro", "TX")
    assert set(ana.seeks.values()) == {"Literacy", "Scheduling"} and not ana.offers


def test_missing_required_columns_are_named(client):
    conference = setup(client)
    response = upload(client, conference, b"Full Name,School\r\nAna Ruiz,Lincoln\r\n")
    assert response.status_code == 422
    assert "no email or role column" in response.text and "“Full Name”, “School”" in response.text
    response = upload(client, conference, b"Email,Role\r\nana@school.example.org,Principal\r\n")
    assert response.status_code == 422 and "no name (or first name and last name)" in response.text
    assert not attendees(conference)


def test_bad_rows_are_listed_by_row_number_and_good_rows_imported(client):
    conference = setup(client)
    data = (HEADER + ROWS +
            "Bad Email,not-an-email,Principal,X,,VA\r\n"
            "Unknown Role,role@school.example.org,Superintendent-in-chief,X,,VA\r\n"
            "Ana Again,ANA@school.example.org,Principal,X,,VA\r\n"
            ",noname@school.example.org,Principal,X,,VA\r\n"
            "No State,state@school.example.org,Principal,X,,Atlantis\r\n"
            "Good Last,last@school.example.org,teacher leader,X,,\r\n").encode()
    response = upload(client, conference, data)
    assert response.status_code == 200
    text = response.text
    assert re.search(r"<td class=\"num\">4</td><td>not-an-email</td><td>[^<]*not an email address", text)
    assert re.search(r"<td class=\"num\">5</td>[^\n]*Unknown role “Superintendent-in-chief”", text)
    assert "Same email as row 2" in text
    assert re.search(r"<td class=\"num\">7</td>[^\n]*No name", text)
    assert "Unknown state “Atlantis”" in text
    assert "5 rows were not imported" in text
    assert set(attendees(conference)) == {"ana@school.example.org", "zoe@school.example.org",
                                          "last@school.example.org"}
    assert attendees(conference)["ana@school.example.org"].name == "Ana García"  # the first row wins


def test_reimport_changes_nothing_and_a_changed_row_updates(client):
    conference = setup(client)
    data = (HEADER + ROWS).encode()
    upload(client, conference, data)
    before = {e: (a.badge_code, a.name, a.import_batch_id) for e, a in attendees(conference).items()}
    again = upload(client, conference, data)
    assert again.status_code == 200 and "nothing to change" in again.text
    db.session.expire_all()
    assert {e: (a.badge_code, a.name, a.import_batch_id) for e, a in attendees(conference).items()} == before
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    changed = data.replace(b"Escuela N\xc3\xba\xc3\xb1ez", b"Escuela Nueva")
    response = upload(client, conference, changed)
    assert "imported" in response.text
    db.session.expire_all()
    ana = attendees(conference)["ana@school.example.org"]
    assert ana.school == "Escuela Nueva" and ana.badge_code == before["ana@school.example.org"][0]
    batches = list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id)))
    assert len(batches) == 2 and (batches[1].created, batches[1].updated, batches[1].unchanged) == (0, 1, 1)
    assert ana.import_batch_id == batches[1].id


def test_people_who_joined_themselves_keep_their_profile(client):
    conference = setup(client)
    joined = make_attendee(conference, email="ana@school.example.org", name="Ana G.", school="Own words")
    upload(client, conference, (HEADER + ROWS).encode())
    db.session.expire_all()
    ana = db.session.get(Attendee, joined.id)
    assert (ana.name, ana.school, ana.import_batch_id) == ("Ana G.", "Own words", None)


def test_bad_files_get_clear_messages(client, app):
    conference = setup(client)
    cases = [
        (b"", "This file is empty"),
        (b"   \r\n\r\n", "This file is empty"),
        (HEADER.encode(), "header row but no registrants"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200, "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "old Excel workbook (.xls)"),
        (b"%PDF-1.7\n" + b"\x00\x01" * 50, "This is a PDF"),
        (b"\x00\x01\x02binary\x00junk", "not text"),
    ]
    for data, message in cases:
        response = upload(client, conference, data)
        assert response.status_code == 422, message
        assert message in response.text, message
        assert "There is a problem" in response.text
    no_file = client.post(f"/organize/{conference.slug}/import", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "Choose the CSV file" in no_file.text
    app.config["IMPORT_MAX_BYTES"] = 1000
    too_large = upload(client, conference, (HEADER + ROWS * 20).encode())
    assert too_large.status_code == 422 and "the limit is" in too_large.text
    huge = upload(client, conference, (HEADER + ROWS * 6000).encode())  # past the request limit
    assert huge.status_code == 413 and "larger than" in huge.text
    assert not attendees(conference)


def test_ten_thousand_rows(client):
    conference = setup(client)
    lines = [HEADER] + [f"Person {n},person{n}@school.example.org,Principal,School {n % 90},District,VA\r\n"
                        for n in range(10_000)]
    data = "".join(lines).encode()
    response = upload(client, conference, data)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 10_000
    codes = db.session.scalar(select(func.count(func.distinct(Attendee.badge_code))))
    assert codes == 10_000
    again = upload(client, conference, data)
    assert "nothing to change" in again.text


def test_nothing_is_half_written_when_the_database_refuses(app):
    """One good row set, one transaction: if writing fails midway nothing stays."""
    conference = make_conference()
    data = (HEADER + ROWS).encode()
    import_registrants(conference, data)
    db.session.rollback()  # the caller rolls back instead of committing
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_an_unknown_interest_is_left_out_with_a_warning_and_the_row_imported(app):
    conference = make_conference()
    data = ("Name,Email,Role,Interests,Can help with\r\n"
            "Ana,ana@x.example.org,Principal,Robotics; Literacy,Literacy\r\n"
            "Bo,bo@x.example.org,Principal,Math,literacy\r\n").encode()
    result = import_registrants(conference, data)
    db.session.commit()
    assert not result.problems and result.created == 2
    assert [w.row for w in result.warnings] == [2]
    assert result.warnings[0].reason == "The interest “Robotics” is not on this conference's list: imported without it"
    ana = attendees(conference)["ana@x.example.org"]
    assert set(ana.seeks.values()) == {"Literacy"} and set(ana.offers.values()) == {"Literacy"}
    bo = attendees(conference)["bo@x.example.org"]
    assert set(bo.seeks.values()) == {"Math"} and set(bo.offers.values()) == {"Literacy"}
    assert interest(conference, "Math").id in bo.seeks


def test_read_table_detects_delimiters():
    header, rows = read_table(b"name\temail\trole\nAna\ta@x.org\tPrincipal\n")
    assert header == ["name", "email", "role"] and rows == [["Ana", "a@x.org", "Principal"]]


def test_imported_registrant_claims_the_profile_by_sign_in_link(client, app, outbox):
    conference = setup(client)
    upload(client, conference, (HEADER + ROWS).encode())
    visitor = app.test_client()
    visitor.post("/signin", data={"email": "ana@school.example.org"})
    token = re.search(r"/signin/(\S+)", outbox()[-1].get_body().get_content()).group(1)
    signed = visitor.post(f"/signin/{token}")
    assert signed.status_code == 303 and signed.headers["Location"].startswith("/me/badge?welcome=1")
    ana = attendees(conference)["ana@school.example.org"]
    assert ana.claimed_at is not None and ana.has_joined
    assert "Ana García" in visitor.get("/me/badge").text
    db.session.expire_all()
    upload(client, conference, (HEADER + ROWS).replace("Escuela Núñez", "Changed").encode())
    db.session.expire_all()
    assert attendees(conference)["ana@school.example.org"].school == "Escuela Núñez"  # claimed: theirs now


def test_import_command_reports_first_and_writes_only_with_yes(app, tmp_path):
    conference = make_conference()
    path = tmp_path / "registrants.csv"
    path.write_bytes((HEADER + ROWS + "Bad,bad,Principal,X,,VA\r\n").encode("cp1252"))
    runner = app.test_cli_runner()
    report = runner.invoke(args=["import-registrants", str(path), "--conference", conference.slug])
    assert report.exit_code == 0, report.output
    assert "“Name” → full name (its header)" in report.output and "“District” → district" in report.output
    assert "2 new, 0 updated, 0 unchanged" in report.output and "1 not imported" in report.output
    assert "Row 4:" in report.output and "Nothing was written. Run again with --yes to import." in report.output
    assert not attendees(conference)
    result = runner.invoke(args=["import-registrants", str(path), "--conference", conference.slug, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Imported: 2 new, 0 updated, 0 unchanged" in result.output
    assert attendees(conference)["ana@school.example.org"].name == "Ana García"
    again = runner.invoke(args=["import-registrants", str(path), "--conference", conference.slug, "--yes"])
    assert "Imported: 0 new, 0 updated, 2 unchanged" in again.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    failed = runner.invoke(args=["import-registrants", str(empty), "--conference", conference.slug])
    assert failed.exit_code != 0 and "empty" in failed.output


def test_the_upload_checks_its_csrf_token(client, app):
    """The import view takes larger bodies than the app-wide limit, so it checks CSRF in its form."""
    conference = setup(client)
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post(f"/organize/{conference.slug}/import",
                          data={"file": (io.BytesIO((HEADER + ROWS).encode()), "r.csv")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and not attendees(conference)
    page = client.get(f"/organize/{conference.slug}/import")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    accepted = client.post(f"/organize/{conference.slug}/import",
                           data={"csrf_token": token, "file": (io.BytesIO((HEADER + ROWS).encode()), "r.csv")},
                           content_type="multipart/form-data")
    assert accepted.status_code == 303 and not attendees(conference)
    location = accepted.headers["Location"]
    form = {**choices_on(client.get(location).text), "action": "import"}
    assert client.post(location, data=form).status_code == 400 and not attendees(conference)
    form["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                   client.get(location).text).group(1)
    imported = client.post(location, data=form)
    assert imported.status_code == 200 and len(attendees(conference)) == 2

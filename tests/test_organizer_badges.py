"""Badge PDFs: read back, rendered at 300 dpi and every QR decoded independently; background jobs."""
import io
import time

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from conference.badges.codes import display
from conference.extensions import db
from conference.organizer.badges_pdf import BADGE_W, PAD, BadgeData, layout, sheet_position, write_badges
from conference.organizer.models import BadgeJob
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer

LONG_NAME = "Maximiliana Bartholomew-Featherstonehaugh de la Cruz-Ortega"  # 59 characters, one more below
LONG_NAME += "s"
assert len(LONG_NAME) == 60


def decoded_qr_texts(pdf_bytes: bytes, page: int = 0) -> list[str]:
    document = pypdfium2.PdfDocument(pdf_bytes)
    image = document[page].render(scale=300 / 72).to_pil()
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def page_texts(pdf_bytes: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


@pytest.fixture
def registrants(app):
    conference = make_conference(name="Pre-K–8 Principals Conference")
    people = [make_attendee(conference, name=name, role="principal", school=school, state="VA")
              for name, school in [("Ana Ruiz", "Lincoln Elementary"), (LONG_NAME, "Riverside Early Learning Center"),
                                   ("Wei Chen", "Maple Grove K–8"), ("Zoë O'Brien", "Oak Hill Primary"),
                                   ("Kenji Tanaka", "Harbor View Elementary"), ("Nia Adeyemi", "Pine Valley"),
                                   ("Omar Haddad", "Jefferson Middle School")]]
    return conference, people


def make_job(client, conference, **form):
    data = {"which": "all", "layout": "sheet", **form}
    response = client.post(f"/organize/{conference.slug}/badges", data=data)
    assert response.status_code == 303, response.text[:2000]
    job = db.session.scalar(select(BadgeJob).order_by(BadgeJob.id.desc()))
    assert response.headers["Location"] == f"/organize/{conference.slug}/badges/{job.id}"
    return job


def test_sheet_pdf_every_qr_decodes_to_the_right_badge(client, app, registrants):
    conference, people = registrants
    app.config["BADGE_JOBS_INLINE"] = True
    sign_in_organizer(client, make_organizer(conference))
    job = make_job(client, conference)
    db.session.refresh(job)
    assert (job.state, job.done, job.total) == ("done", 7, 7)
    page = client.get(f"/organize/{conference.slug}/badges/{job.id}")
    assert "7 badges are ready" in page.text and "data-poll" not in page.text
    pdf = client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == 2  # six to a page
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [612, 792]  # US Letter
    # Sorted by family name, as pick-up tables are: Adeyemi, Bartholomew..., Chen, Haddad, O'Brien, Ruiz | Tanaka
    urls = {p.badge_code: f"https://pln.example.org/c/{display(p.badge_code)}" for p in people}
    by_name = {p.name: p for p in people}
    first_page = ["Nia Adeyemi", LONG_NAME, "Wei Chen", "Omar Haddad", "Zoë O'Brien", "Ana Ruiz"]
    assert decoded_qr_texts(pdf.data, 0) == sorted(urls[by_name[n].badge_code] for n in first_page)
    assert decoded_qr_texts(pdf.data, 1) == [urls[by_name["Kenji Tanaka"].badge_code]]
    texts = page_texts(pdf.data)
    assert "Zoë O'Brien" in texts[0] and display(by_name["Ana Ruiz"].badge_code) in texts[0]
    assert "Riverside Early Learning Center" in texts[0].replace("\n", " ") and "Virginia" in texts[0]
    assert "Kenji Tanaka" in texts[1]


def test_single_badges_for_a_badge_printer(client, app, registrants):
    conference, people = registrants
    app.config["BADGE_JOBS_INLINE"] = True
    sign_in_organizer(client, make_organizer(conference))
    job = make_job(client, conference, which="chosen", ids=[str(people[0].id), str(people[3].id)], layout="single")
    pdf = client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").data
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [288, 216]  # 4 x 3 in
    assert decoded_qr_texts(pdf, 0) == [f"https://pln.example.org/c/{display(people[3].badge_code)}"]  # O'Brien first


def test_a_60_character_name_stays_inside_its_badge():
    badge = BadgeData(name=LONG_NAME, role="Assistant principal",
                      school="The Very Long Name Early Childhood and Family Learning Center of Greater Springfield",
                      state="VA", code="0123456789AB", url="https://pln.example.org/c/0123-4567-89AB", conference="X")
    spec = layout(badge)
    from reportlab.pdfbase.pdfmetrics import stringWidth
    assert " ".join(spec.name.lines).replace("- ", "-").replace("-", "") .replace(" ", "") == \
        LONG_NAME.replace("-", "").replace(" ", "")  # nothing cut off
    for block, width in ((spec.name, spec.name_width), (spec.school, spec.text_width), (spec.role, spec.text_width)):
        for line in block.lines:
            assert stringWidth(line, block.font, block.size) <= width + 0.01
    # And in the PDF itself: every text run of the first badge ends before the badge's right edge.
    out = io.BytesIO()
    write_badges([badge], out, "sheet")
    right_edge = sheet_position(0)[0] + BADGE_W - PAD
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text, tm[4], tm[0] * (size or 1)))

    PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text(visitor_text=visit)
    name_runs = [r for r in runs if r[0].strip() in spec.name.lines]
    assert len(name_runs) == len(spec.name.lines) >= 2
    for text, x, size in name_runs:
        assert x + stringWidth(text.strip(), spec.name.font, size) <= right_edge + 0.5


def test_choosing_badges_by_import_and_by_letters(client, app, registrants):
    conference, people = registrants
    app.config["BADGE_JOBS_INLINE"] = True
    sign_in_organizer(client, make_organizer(conference))
    job = make_job(client, conference, which="letters", letter_from="a", letter_to="D")
    db.session.refresh(job)
    assert job.total == 3 and job.description == "Family names A–D"  # Adeyemi, Bartholomew..., Chen
    from conference.organizer.importer import import_registrants
    result = import_registrants(conference, b"name,email,role\nLate Comer,late@x.example.org,Principal\n")
    db.session.commit()
    job = make_job(client, conference, which="batch", batch_id=str(result.batch.id))
    db.session.refresh(job)
    assert job.total == 1 and "Import" in job.description
    pdf = client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").data
    assert "Late Comer" in page_texts(pdf)[0]


def test_bad_badge_choices_get_messages(client, app, registrants):
    conference, people = registrants
    sign_in_organizer(client, make_organizer(conference))
    other = make_attendee(make_conference())
    cases = [({"which": "letters", "letter_from": "", "letter_to": ""}, "first and last letter"),
             ({"which": "letters", "letter_from": "X", "letter_to": "X"}, "No registrants match"),
             ({"which": "batch", "batch_id": "999"}, "Choose one of this conference&#39;s imports"),
             ({"which": "chosen", "ids": [str(other.id)]}, "not registered for this conference"),
             ({"which": "chosen"}, "No registrants match"),
             ({"which": "everyone-twice"}, "Choose which badges"),
             ({"which": "all", "layout": "poster"}, "Choose a layout")]
    for form, message in cases:
        response = client.post(f"/organize/{conference.slug}/badges", data={"layout": "sheet", **form})
        assert response.status_code == 422, form
        assert message in response.text, form
    assert db.session.scalar(select(BadgeJob)) is None


def test_progress_is_polled_while_the_job_runs(client, app, registrants):
    conference, people = registrants
    sign_in_organizer(client, make_organizer(conference))
    job = BadgeJob(conference_id=conference.id, layout="sheet", description="All", total=2000, done=350,
                   state="running", attendee_ids="1")
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/organize/{conference.slug}/badges/{job.id}", headers={"HX-Request": "true"})
    assert page.text.lstrip().startswith('<section id="job-status"')
    assert 'data-hx-trigger="poll"' in page.text and "350 of 2,000" in page.text and 'value="350"' in page.text
    assert client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").status_code == 404
    from datetime import timedelta
    job.updated_at = job.updated_at - timedelta(minutes=10)
    db.session.commit()
    stalled = client.get(f"/organize/{conference.slug}/badges/{job.id}")
    assert "stopped before it finished" in stalled.text and "data-poll" not in stalled.text
    other = make_conference()
    assert client.get(f"/organize/{other.slug}/badges/{job.id}").status_code == 403
    sign_in_organizer(client, make_organizer(other, email="x@y.example.org"))
    assert client.get(f"/organize/{other.slug}/badges/{job.id}").status_code == 404


def test_a_background_thread_makes_the_pdf(tmp_path, _schema):
    """The real thread, on a database file other connections can see (as under gunicorn)."""
    from tests.browser.conftest import make_live_app
    from tests.conftest import empty_database
    app = make_live_app(tmp_path)
    try:
        with app.app_context():
            conference, people = make_conference(), []
            for n in range(30):
                people.append(make_attendee(conference, name=f"Person {n:02d}"))
            sign_in_organizer(client := app.test_client(), make_organizer(conference))
            job = make_job(client, conference)
            deadline = time.time() + 60
            while time.time() < deadline:
                db.session.expire_all()
                if db.session.get(BadgeJob, job.id).state in ("done", "failed"):
                    break
                time.sleep(0.2)
            job = db.session.get(BadgeJob, job.id)
            assert job.state == "done", job.error
            assert len(PdfReader(io.BytesIO(client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").data)
                                 ).pages) == 5
    finally:
        with app.app_context():
            empty_database()
            db.engine.dispose()


def test_badges_pdf_command(app, tmp_path, registrants):
    conference, people = registrants
    out = tmp_path / "badges.pdf"
    result = app.test_cli_runner().invoke(args=["badges-pdf", "--conference", conference.slug, "--out", str(out),
                                                "--layout", "single", "--letters", "O-R"])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 badges" in result.output
    assert len(PdfReader(str(out)).pages) == 2
    assert decoded_qr_texts(out.read_bytes(), 0) == [f"https://pln.example.org/c/{display(people[3].badge_code)}"]

"""Badge PDFs: read back, rendered at 300 dpi and every QR decoded independently; background jobs."""
import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select, update

from conference import create_app
from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.events.models import utcnow
from conference.extensions import db
from conference.organizer.printing.badges_pdf import BADGE_W, PAD, BadgeData, layout, sheet_position, write_badges
from conference.files.models import GeneratedFile, GeneratedFilePerson
from conference.organizer.printing import jobs
from conference.organizer.printing.models import BadgeJob
from tests.conftest import empty_database, test_config
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer

ROOT = Path(__file__).resolve().parent.parent
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
    sign_in_organizer(client, make_organizer(conference))
    job = make_job(client, conference, which="letters", letter_from="a", letter_to="D")
    db.session.refresh(job)
    assert job.total == 3 and job.description == "Family names A–D"  # Adeyemi, Bartholomew..., Chen
    from conference.organizer.registrants.importer import import_registrants
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
                   state="running", attendee_ids=[1], attempts=1)
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/organize/{conference.slug}/badges/{job.id}", headers={"HX-Request": "true"})
    assert page.text.lstrip().startswith('<section id="job-status"')
    assert 'data-hx-trigger="poll"' in page.text and "350 of 2,000" in page.text and 'value="350"' in page.text
    assert client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").status_code == 404
    other = make_conference()
    assert client.get(f"/organize/{other.slug}/badges/{job.id}").status_code == 403
    sign_in_organizer(client, make_organizer(other, email="x@y.example.org"))
    assert client.get(f"/organize/{other.slug}/badges/{job.id}").status_code == 404


def _age(job: BadgeJob, minutes: int = 10) -> None:
    db.session.execute(update(BadgeJob).where(BadgeJob.id == job.id)
                       .values(updated_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_a_job_whose_worker_died_is_started_again_then_marked_failed(client, app, registrants):
    conference, people = registrants
    sign_in_organizer(client, make_organizer(conference))
    ids = [p.id for p in people]
    job = BadgeJob(conference_id=conference.id, layout="sheet", description="All", total=7, done=3,
                   state="running", attendee_ids=ids, attempts=1)
    db.session.add(job)
    db.session.commit()
    _age(job)
    page = client.get(f"/organize/{conference.slug}/badges/{job.id}")
    assert "The worker making this PDF stopped after 3 of 7 badges" in page.text and "data-poll" in page.text
    jobs.look_after_badge_jobs()  # the worker's minute task: started again (at once under TESTING)
    db.session.refresh(job)
    assert (job.state, job.attempts, job.done) == ("done", 2, 7)
    assert len(PdfReader(io.BytesIO(client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").data)
                         ).pages) == 2
    tired = BadgeJob(conference_id=conference.id, layout="sheet", description="All", total=7, state="running",
                     attendee_ids=ids, attempts=jobs.MAX_ATTEMPTS)
    db.session.add(tired)
    db.session.commit()
    _age(tired)
    jobs.look_after_badge_jobs()
    db.session.refresh(tired)
    assert tired.state == "failed" and tired.error == "The worker stopped while making this PDF."
    page = client.get(f"/organize/{conference.slug}/badges/{tired.id}")
    assert "Making this PDF failed; it was tried 3 times" in page.text and "data-poll" not in page.text
    assert client.get(f"/organize/{conference.slug}/badges").text.count("Failed") == 1


def test_a_job_that_keeps_failing_is_retried_then_says_so(client, app, registrants):
    conference, people = registrants
    job = jobs.create_badge_job(conference, None, "sheet", [p.id for p in people], "All")
    db.session.commit()
    too_long = "https://pln.example.org/" + "x" * 3000 + "/CODE"  # more than a QR code holds
    for retries_left in (2, 1):  # what the queue passes on each try; it retries on the exception
        with pytest.raises(ValueError):
            jobs.run_badge_job(job.id, too_long, retries_left=retries_left)
        db.session.refresh(job)
        assert job.state == "queued" and job.error.startswith("ValueError: Invalid version")
    jobs.run_badge_job(job.id, too_long, retries_left=0)
    db.session.refresh(job)
    assert job.state == "failed" and job.attempts == 3
    sign_in_organizer(client, make_organizer(conference))
    assert "Making this PDF failed; it was tried 3 times" in client.get(f"/organize/{conference.slug}/badges/{job.id}").text
    assert db.session.scalar(select(func.count()).select_from(GeneratedFile)) == 0


def test_a_run_that_lost_its_job_writes_nothing(app, registrants):
    conference, people = registrants
    job = jobs.create_badge_job(conference, None, "sheet", [p.id for p in people], "All")
    db.session.commit()
    assert jobs.run_badge_job(job.id, "https://pln.example.org/c/CODE").state == "done"
    assert jobs.run_badge_job(job.id, "https://pln.example.org/c/CODE") is None  # done: not claimed again
    assert db.session.scalar(select(func.count()).select_from(GeneratedFile)) == 1


def test_a_pdf_expires_after_7_days_and_goes_with_anyone_on_it(client, app, registrants):
    conference, people = registrants
    sign_in_organizer(client, make_organizer(conference))
    everyone = make_job(client, conference).id
    two = make_job(client, conference, which="chosen", ids=[str(people[0].id), str(people[3].id)]).id
    others = make_job(client, conference, which="chosen", ids=[str(people[1].id)]).id
    pdf = f"/organize/{conference.slug}/badges/{{}}.pdf"
    assert all(client.get(pdf.format(j)).status_code == 200 for j in (everyone, two, others))
    from conference.privacy.operations import delete_account
    delete_account(db.session.get(Attendee, people[0].id))  # on both the first and the second PDF
    db.session.commit()
    assert client.get(pdf.format(everyone)).status_code == 404
    assert client.get(pdf.format(two)).status_code == 404
    assert db.session.get(BadgeJob, two) is None  # its description named her
    assert client.get(pdf.format(others)).status_code == 200
    names = [n for n, in db.session.execute(select(GeneratedFile.name))]
    assert len(names) == 1 and db.session.scalar(select(func.count()).select_from(GeneratedFilePerson)) == 1
    db.session.execute(update(GeneratedFile).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    page = client.get(f"/organize/{conference.slug}/badges/{others}")
    assert "This PDF has been deleted: PDFs are kept for 7 days" in page.text
    assert client.get(pdf.format(others)).status_code == 404
    jobs.look_after_badge_jobs()
    assert db.session.scalar(select(func.count()).select_from(GeneratedFile)) == 0
    assert db.session.scalar(select(func.count()).select_from(GeneratedFilePerson)) == 0


def test_retention_deletes_the_conferences_badge_pdfs(client, app, registrants):
    from datetime import date
    from conference.retention.operations import run_for
    conference, people = registrants
    sign_in_organizer(client, make_organizer(conference))
    job = make_job(client, conference)
    conference.closes_on, conference.retain_until = date(2026, 8, 1), date(2026, 9, 1)
    db.session.commit()
    job_id = job.id
    run_for(conference, date(2026, 8, 28))  # attendees told a week ahead
    assert db.session.get(BadgeJob, job_id) is not None
    assert run_for(db.session.get(type(conference), conference.id), date(2026, 9, 5)).deleted == 7
    assert db.session.get(BadgeJob, job_id) is None
    assert db.session.scalar(select(func.count()).select_from(GeneratedFile)) == 0


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(seconds: float, check) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_process_makes_the_pdf_and_a_killed_one_is_replaced(tmp_path, _schema):
    """Real worker processes on a database file (or the PostgreSQL test database) and a queue file."""
    from tests.browser.conftest import make_live_app
    queue = f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
    app = make_live_app(tmp_path, TASKS_IMMEDIATE=False, TASK_QUEUE_URL=queue, BADGE_JOB_STALLED_SECONDS=1)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TASK_QUEUE_URL": queue,
           "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": "https://pln.example.org", "MAIL_SERVER": "",
           "MAIL_OUTBOX": str(tmp_path / "outbox")}
    workers = [_worker(env)]
    try:
        with app.app_context():
            conference = make_conference()
            for n in range(400):
                make_attendee(conference, name=f"Person {n:03d}")
            sign_in_organizer(client := app.test_client(), make_organizer(conference))
            job = make_job(client, conference)
            assert _wait(60, lambda: db.session.get(BadgeJob, job.id).done >= jobs.PROGRESS_EVERY), \
                db.session.get(BadgeJob, job.id).state
            workers[0].kill()  # mid-job: the row says running, and nobody is making it
            workers[0].wait()
            job = db.session.get(BadgeJob, job.id)
            assert job.state == "running" and job.done < job.total
            time.sleep(1.1)
            assert jobs.recover_stalled() == 1  # what the minute task does; it enqueues the job again
            workers.append(_worker(env))
            assert _wait(90, lambda: db.session.get(BadgeJob, job.id).state in ("done", "failed"))
            job = db.session.get(BadgeJob, job.id)
            assert (job.state, job.attempts) == ("done", 2), job.error
            pdf = client.get(f"/organize/{conference.slug}/badges/{job.id}.pdf").data
            assert len(PdfReader(io.BytesIO(pdf)).pages) == 67
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
        with app.app_context():
            empty_database()
            db.engine.dispose()
        create_app(test_config(tmp_path))  # later tests run tasks at once again


def test_badges_pdf_command(app, tmp_path, registrants):
    conference, people = registrants
    out = tmp_path / "badges.pdf"
    result = app.test_cli_runner().invoke(args=["badges-pdf", "--conference", conference.slug, "--out", str(out),
                                                "--layout", "single", "--letters", "O-R"])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 badges" in result.output
    assert len(PdfReader(str(out)).pages) == 2
    assert decoded_qr_texts(out.read_bytes(), 0) == [f"https://pln.example.org/c/{display(people[3].badge_code)}"]

"""Every page is in the catalogue (tests/pages.py), and no page has a field without a label or an image without alt.

The browser checks (axe-core) run the same catalogue; this one needs no browser, so it runs everywhere.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conference import create_app
from conference.extensions import db
from tests.conftest import ON_POSTGRES, empty_database, test_config
from tests.pages import EXEMPT, PAGES, build_world, covered_endpoints, session_for

FIELDS = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}  # buttons name themselves (value/alt)


class FormMarkup(HTMLParser):
    """Collects form fields, labels, ids and images with what names them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.images: list[dict] = []
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in FIELDS:
            self.fields.append({"tag": tag, "attrs": a, "wrapped": self.open_labels > 0})
        elif tag == "img":
            self.images.append(a)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "label":
            self.open_labels -= 1

    def handle_endtag(self, tag):
        if tag == "label" and self.open_labels:
            self.open_labels -= 1


def markup_problems(html: str) -> list[str]:
    """Fields without a label and images without alt text, described for a person."""
    parsed = FormMarkup()
    parsed.feed(html)
    problems = []
    for f in parsed.fields:
        a = f["attrs"]
        if f["tag"] == "input" and a.get("type", "text").lower() in UNLABELLED_TYPES:
            continue
        named = (f["wrapped"] or (a.get("id") and a["id"] in parsed.label_for) or a.get("aria-label", "").strip()
                 or (a.get("aria-labelledby") and all(i in parsed.ids for i in a["aria-labelledby"].split())))
        if not named:
            problems.append(f"<{f['tag']} name={a.get('name')!r} id={a.get('id')!r}> has no label")
    for img in parsed.images:
        if "alt" not in img:
            problems.append(f"<img src={img.get('src')!r}> has no alt attribute")
    return problems


@pytest.fixture(scope="module")
def site(tmp_path_factory, _schema):
    """One app and one set of rows for all the pages (they only read)."""
    app = create_app(test_config(tmp_path_factory.mktemp("markup")))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        world = build_world()
        yield app, world
        empty_database()
        db.session.remove()
        db.engine.dispose()


def test_every_route_is_a_checked_page_or_exempt_with_a_reason(site):
    app, _ = site
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - covered_endpoints())
    assert not missing, (f"routes with no entry in tests/pages.py: {missing}. Add a Page (it gets the axe, "
                         f"label and screenshot checks) or, for a non-page, an EXEMPT entry with the reason.")
    stale = sorted(covered_endpoints() - endpoints)
    assert not stale, f"tests/pages.py lists endpoints the app no longer has: {stale}"
    assert all(reason.strip() for reason in EXEMPT.values())


def test_the_markup_checker_catches_what_it_should():
    assert markup_problems('<input name="q"><img src="x.png">') == [
        "<input name='q' id=None> has no label", "<img src='x.png'> has no alt attribute"]
    assert markup_problems('<label for="q">Search</label><input id="q"><img src="x" alt="">'
                           '<label>Note <textarea name="n"></textarea></label><input type="hidden" name="t">'
                           '<span id="l">Role</span><select aria-labelledby="l"></select>'
                           '<input aria-label="Code" name="c">') == []
    assert markup_problems('<select aria-labelledby="nowhere"></select>') == [
        "<select name=None id=None> has no label"]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_fields_have_labels_and_images_have_alt_text(site, page):
    app, world = site
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_for(world, page.who))
    path = page.path(world)
    if page.act == "submit-empty":
        response = client.post(path, data={})
        assert response.status_code == 422, f"{path}: an empty form should come back with its errors"
    else:
        response = client.get(path)
        assert response.status_code == page.status, f"{path} answered {response.status_code}"
    problems = markup_problems(response.get_data(as_text=True))
    assert not problems, f"{page.name} ({path}): " + "; ".join(problems)


def test_pages_link_a_favicon_and_a_touch_icon_cached_for_a_year(site):
    import re
    import struct
    app, _ = site
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    for rel in ("icon", "apple-touch-icon"):
        match = re.search(rf'<link rel="{rel}" href="([^"]+\?v=[0-9a-f]+)"', html)
        assert match, f"no cache-busted <link rel={rel!r}> on the home page"
        response = client.get(match.group(1))
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        if rel == "apple-touch-icon":
            body = response.get_data()
            assert body[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", body[16:24]) == (180, 180)


# --- the Nu Html Checker (vnu) over every page -------------------------------------------------

VNU = Path(__file__).resolve().parent / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _vnu_or_skip() -> list[str]:
    java = shutil.which("java")
    if java and VNU.exists():
        return [java, "-Xss4m", "-jar", str(VNU)]
    missing = "Java (apt-get install default-jre-headless)" if not java else "vnu-jar (make test installs it with npm)"
    if os.environ.get("CI"):
        pytest.fail(f"The Nu Html Checker needs {missing}: CI must install it")
    pytest.skip(f"The Nu Html Checker needs {missing}")


def render_page(app, world, page) -> str:
    """A page of the catalogue as its person sees it (an empty form sent, for the error states)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_for(world, page.who))
    path = page.path(world)
    response = client.post(path, data={}) if page.act == "submit-empty" else client.get(path)
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def vnu_messages(site, tmp_path_factory) -> dict[str, list[dict]]:
    """Every page checked in one run of the checker: page name -> its errors."""
    command = _vnu_or_skip()
    app, world = site
    folder = tmp_path_factory.mktemp("vnu")
    files = []
    for page in PAGES:
        path = folder / f"{page.name}.html"
        path.write_text(render_page(app, world, page), encoding="utf-8")
        files.append(str(path))
    run = subprocess.run([*command, "--errors-only", "--format", "json", *files],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stderr or run.stdout)
    found: dict[str, list[dict]] = {page.name: [] for page in PAGES}
    for message in report["messages"]:
        name = message.get("url", "").rpartition("/")[2].removesuffix(".html")
        assert name in found, f"the checker reported on something else: {message}"
        found[name].append(message)
    return found


def test_the_html_checker_finds_errors():
    command = _vnu_or_skip()
    run = subprocess.run([*command, "--errors-only", "--format", "json", "-"], input='<p aria-label="x">y</p>',
                         capture_output=True, text=True, timeout=120)
    assert json.loads(run.stderr or run.stdout)["messages"], "vnu should reject a page without a doctype and title"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_is_valid_html(vnu_messages, page):
    errors = vnu_messages[page.name]
    assert not errors, f"{page.name}: " + "; ".join(
        f"line {m.get('lastLine')}: {m['message']} [{(m.get('extract') or '').strip()[:120]}]" for m in errors)

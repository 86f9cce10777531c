"""The dashboard's SVG charts: geometry from charts.py, markup from templates/organizer/_charts.html,
escaped once by Jinja, well-formed XML, and on the real dashboard page."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from conference.organizer.dashboard import charts, stats
from conference.organizer.dashboard.disclosure import Count
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import connect, make_organizer, sign_in_organizer

SVG = "{http://www.w3.org/2000/svg}"
AWKWARD = 'Reading & "Writing" <K-2>'
ESCAPED = "Reading &amp; &#34;Writing&#34; &lt;K-2&gt;"


def parse(svg: str) -> ET.Element:
    """The chart as XML (in the SVG namespace, as a browser reads it inline)."""
    return ET.fromstring(svg.replace('<svg class="chart"', '<svg xmlns="http://www.w3.org/2000/svg" class="chart"', 1))


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def test_a_name_with_markup_characters_is_escaped_exactly_once():
    figures = [stats.InterestFigure(AWKWARD, False, Count(12), Count(7)),
               stats.InterestFigure("Math", True, Count(3), Count(0))]
    svg = str(charts.interests_chart(figures))
    assert ESCAPED in svg
    assert "<K-2>" not in svg and '"Writing"' not in svg  # no raw markup
    assert "&amp;amp;" not in svg and "&amp;lt;" not in svg and "&amp;#34;" not in svg  # no double escaping
    root = parse(svg)
    assert root.find(f"{SVG}desc").text == f"Most sought: {AWKWARD} (7 people). Most offered: {AWKWARD} (12 people)."
    labels = [e for e in root.iter(f"{SVG}text") if e.get("class") == "chart-label"]
    assert [e.find(f"{SVG}title").text for e in labels] == [AWKWARD, "Math"]
    assert ["".join(e.itertext()) for e in labels] == [AWKWARD + AWKWARD, "MathMath (retired)"]
    assert "<5" in texts(root) and "12" in texts(root)


def test_a_long_name_is_shortened_on_the_chart_and_whole_in_its_title():
    name = "&" * 40
    root = parse(str(charts.interests_chart([stats.InterestFigure(name, False, Count(6), Count(6))])))
    label = next(e for e in root.iter(f"{SVG}text") if e.get("class") == "chart-label")
    assert label.find(f"{SVG}title").text == name and label.find(f"{SVG}title").tail == "&" * 33 + "…"


def test_the_hours_chart_is_well_formed_and_keeps_its_numbers():
    hours = [stats.HourCount(datetime(2026, 7, 9, 10 + i), n) for i, n in enumerate([6, 3, 0, 1200])]
    root = parse(str(charts.hours_chart(hours, chart_id="hours-x")))
    assert root.get("aria-labelledby") == "hours-x-title hours-x-desc" and root.get("role") == "img"
    assert root.get("viewBox") == "0 0 800 320" and root.get("preserveAspectRatio") == "xMidYMid meet"
    assert root.find(f"{SVG}title").get("id") == "hours-x-title"
    bars = root.findall(f"{SVG}rect")
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "Thu Jul 9, 10:00: 6", "Thu Jul 9, 11:00: 3", "Thu Jul 9, 12:00: 0", "Thu Jul 9, 13:00: 1,200"]
    # 248 px × 1,200 / 2,000 (the axis tops out at 2,000)
    assert [(b.get("x"), b.get("width"), b.get("height")) for b in bars][3] == ("673.5", "48.0", "148.8")
    assert [(g.get("x1"), g.get("y1")) for g in root.findall(f"{SVG}line")] == [
        ("64", "264.0"), ("64", "140.0"), ("64", "16.0")]
    assert texts(root)[:3] == ["0", "1,000", "2,000"] and "13:00" in texts(root) and "Thu 9" in texts(root)
    empty = parse(str(charts.hours_chart([])))
    assert texts(empty)[-1] == "No connections yet" and empty.find(f"{SVG}rect") is None


def test_the_dashboard_page_draws_both_charts(client, app):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    added = client.post(f"/organize/{conference.slug}/interests", data={"name": AWKWARD})
    assert added.status_code == 303
    people = [make_attendee(conference, offers=[AWKWARD] if n < 6 else (), seeks=[AWKWARD] if n >= 6 else ())
              for n in range(8)]
    for owner, contact in zip(people, people[1:]):
        connect(owner, contact, datetime(2026, 7, 9, 14, 5))
    page = client.get(f"/organize/{conference.slug}/")
    assert page.status_code == 200
    svgs = re.findall(r'<svg class="chart".*?</svg>', page.text, re.S)
    assert len(svgs) == 2
    hours, interests = (parse(svg) for svg in svgs)
    assert hours.find(f"{SVG}title").text == "Connections per hour"
    assert [b.find(f"{SVG}title").text for b in hours.findall(f"{SVG}rect")] == ["Thu Jul 9, 10:00: 7"]
    label = next(e for e in interests.iter(f"{SVG}text") if e.get("class") == "chart-label"
                 and e.find(f"{SVG}title").text == AWKWARD)
    assert label.find(f"{SVG}title").tail == AWKWARD
    assert ESCAPED in svgs[1] and "&amp;amp;" not in page.text and "<K-2>" not in page.text
    fragment = client.get(f"/organize/{conference.slug}/", headers={"HX-Request": "true"})
    assert len(re.findall(r'<svg class="chart".*?</svg>', fragment.text, re.S)) == 2

"""Badge codes, the badge page, and typing a code."""
import re

import pytest

from conference.badges.codes import ALPHABET, LENGTH, MalformedCode, code_from_scan, display, new_code, normalise
from tests.factories import make_attendee, make_conference, sign_in_as


def test_codes_are_random_long_and_unambiguous():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert LENGTH * 5 >= 50  # 32 symbols = 5 bits each
    assert not set("ILOU") & set(ALPHABET)
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)


@pytest.mark.parametrize("typed", ["7kq2-xm4p-9bda", "7KQ2XM4P9BDA", " 7kq2 xm4p 9bda ", "7KQ2—XM4P—9BDA"])
def test_typed_codes_forgive_case_spaces_and_dashes(typed):
    assert normalise(typed) == "7KQ2XM4P9BDA"


def test_typed_codes_forgive_look_alikes():
    assert normalise("OIL0-0000-0000") == "0110" + "0" * 8
    assert normalise("l0o1-ABCD-EFGH") == "1001ABCDEFGH"


@pytest.mark.parametrize("typed,reason", [("", "Type the code"), ("ABC", "has 12 characters"),
                                          ("ABCD-EFGH-JKMU", "contains U"), ("<script>", "contains")])
def test_malformed_codes_say_why(typed, reason):
    with pytest.raises(MalformedCode, match=reason):
        normalise(typed)


def test_scanned_badge_urls_give_the_code():
    assert code_from_scan("https://pln.example.org/c/7KQ2-XM4P-9BDA") == "7KQ2XM4P9BDA"
    assert code_from_scan("https://pln.example.org/c/7kq2-xm4p-9bda?utm=poster") == "7KQ2XM4P9BDA"
    assert display("7KQ2XM4P9BDA") == "7KQ2-XM4P-9BDA"


def test_badge_page_shows_qr_of_public_url_and_code(client, app):
    conference = make_conference()
    ana = make_attendee(conference, name="Ana Ruiz", school="Lincoln Elementary")
    sign_in_as(client, ana)
    page = client.get("/me/badge")
    assert page.status_code == 200
    assert display(ana.badge_code) in page.text
    assert "Lincoln Elementary" in page.text
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert 'viewBox="0 0 ' in svg and "<path" in svg
    # The QR encodes the absolute public URL of the card.
    from conference.badges.qr import qr_svg
    assert svg == qr_svg(f"https://pln.example.org/c/{display(ana.badge_code)}")


def test_badge_needs_sign_in(client):
    response = client.get("/me/badge")
    assert response.status_code == 302
    assert "/signin?next=/me/badge" in response.headers["Location"]


def test_typing_a_code_opens_the_card(client, app):
    conference = make_conference()
    ana = make_attendee(conference)
    typed = display(ana.badge_code).lower().replace("-", " ")
    response = client.get("/code", query_string={"code": typed})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/c/{display(ana.badge_code)}"


def test_typing_a_malformed_code_keeps_it_and_explains(client):
    response = client.get("/code", query_string={"code": "12-34"})
    assert response.status_code == 422
    assert "has 12 characters" in response.text
    assert 'value="12-34"' in response.text

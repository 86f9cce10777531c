"""axe-core's WCAG 2.2 AA rules on every page of tests/pages.py: light and dark, phone and laptop. Zero violations.

Plus, on every attendee page: no sideways scrolling on a 390 px phone, nor at 200% zoom (a 195 px
viewport at device scale 2). One live server, one set of rows and one browser for the module; one page per check.
"""
from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations, describe, serving_axe
from tests.browser.page_actions import ACTIONS, wait_for_htmx
from tests.pages import ATTENDEE, PAGES, session_cookie

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
ZOOMED = {"width": 195, "height": 422}   # a 390 px phone at 200% zoom
COMBOS = [("light", PHONE), ("dark", PHONE), ("light", LAPTOP), ("dark", LAPTOP)]



@pytest.fixture(scope="module")
def axe_url():
    with serving_axe() as url:
        yield url


@pytest.fixture(scope="module")
def contexts(browser, site):
    """A browser page per (who, colour scheme, viewport), made once and reused: each check navigates it."""
    app, world, server = site
    made = {}

    def get(who: str, scheme: str, viewport: dict):
        key = (who, scheme, viewport["width"])
        if key not in made:
            phone = viewport["width"] < 600
            context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=2,
                                          is_mobile=phone, has_touch=phone, bypass_csp=True,
                                          service_workers="block", reduced_motion="reduce")
            cookie = session_cookie(app, world, who)
            if cookie:
                context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": server.url}])
            made[key] = context.new_page()
        return made[key]

    yield get
    for page in made.values():
        page.context.close()


def open_page(contexts, site, page_entry, scheme, viewport):
    _, world, server = site
    page = contexts(page_entry.who, scheme, viewport)
    path = page_entry.path(world)
    response = page.goto(server.url + path, wait_until="load")
    if page_entry.act:
        ACTIONS[page_entry.act](page)
    else:
        assert response.status == page_entry.status, f"{path} answered {response.status}"
    wait_for_htmx(page)
    return page


@pytest.mark.parametrize("scheme,viewport", COMBOS, ids=[f"{s}-{v['width']}" for s, v in COMBOS])
@pytest.mark.parametrize("entry", PAGES, ids=[p.name for p in PAGES])
def test_no_axe_violations(contexts, site, axe_url, entry, scheme, viewport):
    page = open_page(contexts, site, entry, scheme, viewport)
    violations = axe_violations(page, url=axe_url)
    assert not violations, (f"{entry.name} ({entry.path(site[1])}) as {entry.who}, {scheme}, "
                            f"{viewport['width']}px:\n{describe(violations)}")
    if viewport is PHONE and not entry.desk:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{entry.name} scrolls sideways on a phone: {width}px wide"


# The organizer console is a laptop tool whose data tables may scroll sideways (WCAG 1.4.10 exempts
# two-dimensional tables); axe still checks it at phone size above.
PHONE_PAGES = [p for p in PAGES if not p.desk]


@pytest.mark.parametrize("entry", PHONE_PAGES, ids=[p.name for p in PHONE_PAGES])
def test_readable_at_200_percent_zoom_without_sideways_scrolling(contexts, site, entry):
    page = open_page(contexts, site, entry, "light", ZOOMED)
    overflow = page.evaluate(WIDE_ELEMENTS)
    assert overflow["scroll"] <= overflow["width"], (
        f"{entry.name} at 200% zoom is {overflow['scroll']}px wide in {overflow['width']}px: {overflow['wide']}")


# The page's width, and the first few elements (outside the fixed tab bar) that stick out past it.
WIDE_ELEMENTS = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > width + 1 && !el.closest('.tabbar');
    });
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5).map(name)};
}"""


def test_the_signed_in_pages_really_are_signed_in(contexts, site):
    """Guards the cookie trick above: a signed-in context sees the tab bar, not the sign-in page."""
    page = contexts(ATTENDEE, "light", PHONE)
    page.goto(site[2].url + "/me/badge")
    assert "/me/badge" in page.url
    assert page.get_by_role("navigation", name="Main").is_visible()

"""Render every page of tests/pages.py into docs/screenshots/: 390x844 phone, organizer pages also at 1280x800.

    make screenshots          (or: python bench/screenshots.py [--dark] [--only NAME ...] [--out DIR])

Uses the same catalogue and rows as the accessibility tests (long names and school names on purpose),
the app on a SQLite file served from a thread, and Debian's Chromium.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, make_live_app  # noqa: E402
from tests.browser.page_actions import ACTIONS, wait_for_htmx  # noqa: E402
from tests.pages import PAGES, build_world, session_cookie  # noqa: E402

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def shrink(path: Path) -> None:
    """A 256-colour PNG: a third of the size, the same to the eye for flat UI (Pillow comes with reportlab)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--dark", action="store_true", help="dark colour scheme (files end in -dark)")
    parser.add_argument("--only", nargs="*", help="page names from tests/pages.py")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scheme = "dark" if args.dark else "light"
    suffix = "-dark" if args.dark else ""

    app = make_live_app(Path(tempfile.mkdtemp(prefix="pln-shots-")))
    with app.app_context():
        world = build_world()
    wanted = [p for p in PAGES if p.screenshot and (not args.only or p.name in args.only)]
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = {}
        for entry in wanted:
            for label, viewport in ([("", PHONE), ("-desk", LAPTOP)] if entry.desk else [("", PHONE)]):
                key = (entry.who, viewport["width"])
                if key not in contexts:
                    phone = viewport is PHONE
                    context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1,
                                                  is_mobile=phone, has_touch=phone, service_workers="block",
                                                  reduced_motion="reduce")
                    cookie = session_cookie(app, world, entry.who)
                    if cookie:
                        context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": server.url}])
                    contexts[key] = context.new_page()
                page = contexts[key]
                page.goto(server.url + entry.path(world), wait_until="load")
                if entry.act:
                    ACTIONS[entry.act](page)
                wait_for_htmx(page)
                target = out / f"{entry.name}{label}{suffix}.png"
                # The whole page in one viewport, so the fixed tab bar sits at the bottom as on a phone.
                height = page.evaluate("document.documentElement.scrollHeight")
                page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], height)})
                page.screenshot(path=str(target))
                page.set_viewport_size(viewport)
                if height > 2 * viewport["height"]:  # a long page: its first screen too, for the README
                    page.screenshot(path=str(target.with_name(target.stem + "-top.png")))
                    shrink(target.with_name(target.stem + "-top.png"))
                shrink(target)
                print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

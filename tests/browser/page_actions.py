"""Steps a checked page takes in the browser before it is looked at (Page.act in tests/pages.py)."""
from __future__ import annotations


def submit_empty(page) -> None:
    """Send the page's main form as it is, to see its error state."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("main form button[type=submit]").first.click()
    assert answer.value.status == 422, f"an empty form answered {answer.value.status}"
    page.wait_for_load_state("load")
    page.locator(".error-summary").first.wait_for()


def wait_for_htmx(page, timeout_ms: int = 5000) -> None:
    """Wait until htmx has nothing in flight or settling (lazy sections loaded, swaps finished)."""
    page.wait_for_function("""() => new Promise(resolve => {
        const busy = () => document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added');
        // give hx-trigger="load"/"revealed" a moment to start, then wait for quiet
        setTimeout(() => { const check = () => busy() ? setTimeout(check, 50) : resolve(true); check(); }, 120);
    })""", timeout=timeout_ms)


ACTIONS = {"submit-empty": submit_empty}

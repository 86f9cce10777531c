"""axe-core (vendored, see vendor/README.md) injected into a Playwright page, WCAG 2.2 AA rule sets."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_FILE = Path(__file__).parent / "vendor" / f"axe-{AXE_VERSION}.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@lru_cache(maxsize=1)
def axe_source() -> str:
    return AXE_FILE.read_text(encoding="utf-8")


class _AxeFile(BaseHTTPRequestHandler):
    def do_GET(self):
        body = axe_source().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def serving_axe():
    """axe's URL on a port of its own, as a script the browser caches and compiles once for all pages.

    A server rather than Playwright's routing: a routed context has its HTTP cache turned off, so every
    page would fetch the app's static files again.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AxeFile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/axe-{AXE_VERSION}.min.js"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def axe_violations(page, tags=WCAG_TAGS, url: str | None = None) -> list[dict]:
    """Run axe on the page as it is now; the violations, each with the offending nodes.

    `url`: where axe is served (see serving_axe); without it axe is injected inline. The context
    must be made with bypass_csp=True: the app's CSP does not allow scripts the app did not send.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        if url:
            page.add_script_tag(url=url)
        else:
            page.add_script_tag(content=axe_source())
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                      html: n.html.slice(0, 200)}))}));
    }""", tags)
    return result


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:6]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)

"""axe-core (vendored, see vendor/README.md) injected into a Playwright page, WCAG 2.2 AA rule sets."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_FILE = Path(__file__).parent / "vendor" / f"axe-{AXE_VERSION}.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Where a context that routes it (context.route(AXE_URL, ...)) serves axe: as a cached script Chromium
# compiles once, instead of 650 KB of inline script parsed on every page.
AXE_URL = "**/__axe-core__.js"


@lru_cache(maxsize=1)
def axe_source() -> str:
    return AXE_FILE.read_text(encoding="utf-8")


def axe_violations(page, tags=WCAG_TAGS, url: str | None = None) -> list[dict]:
    """Run axe on the page as it is now; the violations, each with the offending nodes.

    `url`: where the context serves axe (see AXE_URL); without it axe is injected inline. The context
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

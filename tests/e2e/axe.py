"""axe-core in the page (WCAG 2.0/2.1 A and AA): a "serious" or "critical" violation fails,
lesser ones are printed (pytest -s). Shared by the browser tests (tests/e2e/test_*.py)."""

from __future__ import annotations

from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


# Only what the report needs comes back from the page (the full results are large).
_RUN = """(options) => axe.run(document, options).then((results) => results.violations.map(
    (v) => ({id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.map((n) => ({target: n.target}))})))"""


def _axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations in the page; axe-core is injected once per document (the sweep
    runs it twice on each page, at two widths)."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(Axe().axe_script)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return list(page.evaluate(_RUN, options))


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:10]:
            lines.append(f"    {' > '.join(str(t) for t in node['target'])}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page: Any, what: str) -> None:
    page.wait_for_load_state("load")
    # axe skips what is hidden: open the disclosures so their content is checked too.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    violations = _axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(f"\n{what} ({page.url}), minor or moderate:\n{_describe(others)}")
    assert not failing, f"{what} ({page.url}):\n{_describe(failing)}"

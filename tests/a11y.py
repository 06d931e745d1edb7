"""axe-core (npm, node_modules/axe-core) run inside the browser tests' pages: WCAG 2.2 A/AA rules,
serious and critical findings fail the test with a readable list."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make frontend` (npm ci) first.")
    return AXE_JS.read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.2 A/AA violations on the page as it is now. Evaluated through the
    DevTools protocol, so a Content-Security-Policy does not stop it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_TAGS
    )
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]


def assert_accessible(page: Any, where: str = "") -> None:
    violations = axe_violations(page)
    if violations:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(
                " ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                for node in v["nodes"][:5]
            )
            for v in violations
        ]
        raise AssertionError(
            f"axe found {len(violations)} serious/critical issue(s) on {where or page.url}:\n" + "\n".join(lines)
        )

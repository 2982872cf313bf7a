"""axe-core (vendored from npm in tests/browser/vendor/axe-core, see the
Makefile's ``vendor`` target) run on a page Playwright has open.

The script is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern: the app's strict policy stays on.
"""

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# What the issue holds every page to: no serious or critical violation.
BLOCKING = {"serious", "critical"}


def violations(page, *, impacts=BLOCKING):
    """The violations of WCAG 2.x A and AA rules (and axe's best practices)
    on the open page, each as ``(rule id, impact, help, [targets])``."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
                                              'wcag21aa', 'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        (
            violation["id"],
            violation["impact"],
            violation["help"],
            [node["target"] for node in violation["nodes"]][:5],
        )
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]

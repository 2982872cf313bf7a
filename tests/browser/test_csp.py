"""The Content-Security-Policy in a real browser: no page of the site or the
admin breaks it, and the admin's scripts (autocomplete, inlines) still work
under it."""

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load
from stakeholders.models import Organisation

from .conftest import PASSWORD

# The live server reads the database from another thread: the data must be
# committed (see test_flows.py).
pytestmark = pytest.mark.django_db(transaction=True)

# The test harness listens for violations through the DevTools protocol, which
# the page's policy does not govern; each one is reported on the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `csp-violation ${event.violatedDirective} blocked ${event.blockedURI} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class BrowserErrors:
    """Console errors, CSP violations and uncaught exceptions of a page."""

    def __init__(self, page):
        self.found = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.found.append(f"uncaught: {error}"))

    def console(self, message):
        if message.type != "error":
            return
        self.found.append(f"{message.text} ({message.location.get('url')})")

    @property
    def violations(self):
        return [
            text
            for text in self.found
            if "csp-violation" in text or "Content Security Policy" in text
        ]


@pytest.fixture
def seed():
    return demo_load()


@pytest.fixture
def user_of(django_user_model, role):
    def make(name):
        user = django_user_model.objects.create_user(
            username=f"browser-{name}", password=PASSWORD
        )
        user.groups.add(role(name))
        return user

    return make


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def pages(seed):
    who = Organisation.objects.get(acronym="WHO")
    return [
        "/",
        "/organisations/?type=donor",
        f"/organisations/{who.pk}/",
        f"/meetings/{seed.pk}/",
        "/map/?compare=2024-12-01",
        "/admin/",
        "/admin/stakeholders/organisation/",
        f"/admin/meetings/meeting/{seed.pk}/change/",
        f"/admin/meetings/meeting/{seed.pk}/history/",
    ]


@pytest.mark.parametrize("role_name", ["editor", "viewer"])
def test_no_page_breaks_the_content_security_policy(
    page, live_server, seed, user_of, role_name
):
    errors = BrowserErrors(page)
    log_in(page, live_server, user_of(role_name))

    visited = []
    for url in pages(seed):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        visited.append(page.url)

    assert errors.violations == [], "\n".join(errors.violations)
    assert errors.found == [], "\n".join(errors.found)
    if role_name == "viewer":
        # Viewers are shown the admin's login page, under the same policy.
        assert visited[-1].startswith(f"{live_server.url}/admin/login/")
    else:
        assert visited == [f"{live_server.url}{url}" for url in pages(seed)]


def test_the_admin_autocomplete_and_inlines_work_under_the_policy(
    page, live_server, seed, user_of
):
    errors = BrowserErrors(page)
    log_in(page, live_server, user_of("editor"))
    page.goto(f"{live_server.url}/admin/meetings/meeting/{seed.pk}/change/")

    # The host field is a select2 autocomplete: typing asks the server.
    page.locator("#id_host + .select2 .select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill("Wo")
    expect(
        page.locator(".select2-results__option", has_text="World Health Organization")
    ).not_to_have_count(0)
    page.keyboard.press("Escape")

    # A new attendance row gets its own working autocomplete.
    rows = page.locator("#attendances-group tbody tr.form-row:not(.empty-form)")
    before = rows.count()
    page.locator("#attendances-group .add-row a").click()
    expect(rows).to_have_count(before + 1)
    rows.last.locator(".field-organisation .select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill("UZINFO")
    expect(
        page.locator(".select2-results__option", has_text="UZINFOCOM")
    ).to_be_visible()

    assert errors.violations == [], "\n".join(errors.violations)
    assert errors.found == [], "\n".join(errors.found)

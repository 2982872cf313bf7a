"""Hardening, checked from the outside: logins everywhere, no writes for
viewers, CSRF on every form, no open redirects, security headers, quiet error
pages and the idle timeout. Escaped output and login throttling have their
own modules (test_escaped_output.py, test_login_throttling.py)."""

import datetime
import re
import runpy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

import config.urls
from accounts.access import ANONYMOUS, allows, required_role
from accounts.middleware import LAST_SEEN
from accounts.roles import ADMINISTRATOR, EDITOR, VIEWER
from stakeholders.models import (
    Organisation,
    OrganisationType,
)
from tests.stakeholders.test_admin import form_data

from .conftest import (
    METHODS,
    PASSWORD,
    ROUTES,
    build_url,
    describe,
    follow_on_site,
    is_api,
    is_login_redirect,
    location,
    log_in,
    logged_in,
    login_next,
    routes_where,
)

pytestmark = pytest.mark.django_db


def _explode(request):
    # What a careless error page would show: SQL, a table name, the secret.
    message = "SELECT password FROM auth_user WHERE username = 'coordinator'; "
    raise RuntimeError(message + settings.SECRET_KEY)


# This module doubles as a URLconf (pytest.mark.urls) for the server-error test:
# the project's URLs plus one view that fails.
urlpatterns = [path("explode/", _explode), *config.urls.urlpatterns]


# Every page needs a login ----------------------------------------------------

# The REST API refuses such a visitor with 401 or 403 instead (the matrix
# test, tests/accounts/test_access.py).
GATED = routes_where(
    lambda r: required_role(r.name, "GET") not in (None, ANONYMOUS) and not is_api(r)
)


@pytest.mark.parametrize("route", GATED, ids=str)
def test_an_anonymous_visitor_is_sent_to_log_in_from_every_page(route, client, objects):
    url = build_url(route, objects)

    response = client.get(url)
    if not is_login_redirect(response):
        # The admin sends a logout it refuses to its index, which asks for a
        # login in turn.
        url = location(response)
        response = follow_on_site(client, response)

    assert is_login_redirect(response), describe(response)
    assert login_next(response) == url


# Viewers never write ----------------------------------------------------------


def test_a_viewer_is_refused_every_write(client_as, objects):
    client = client_as(VIEWER)
    writes = [
        (route, "POST")
        for route in ROUTES
        if (required := required_role(route.name, "POST")) is not None
        and not allows(VIEWER, required)
    ] + [
        (route, method)
        for route in ROUTES
        if route.is_admin and route.name.endswith(("_add", "_change", "_delete"))
        for method in METHODS
    ]
    allowed = {}
    for route, method in writes:
        url = build_url(route, objects)
        response = client.generic(method, url)
        if not (
            response.status_code == 403
            or is_login_redirect(response, paths=("/admin/login/",))
        ):
            allowed[f"{method} {url}"] = describe(response)

    assert len(writes) > 50
    assert allowed == {}
    # Nothing was deleted, and the viewer is still logged in.
    for instance in objects.made.values():
        assert type(instance)._default_manager.filter(pk=instance.pk).exists()
    assert client.get("/").status_code == 200


def test_an_editor_cannot_change_an_organisation_type_through_its_history_page(
    client_as,
):
    """Editors only read organisation types (their slugs are in public
    addresses); the revert form of the history page must not let them write
    one either."""
    kind = OrganisationType.objects.create(name="Donor, first name", slug="first")
    first = kind.history.latest()
    kind.name = "Donor, current name"
    kind.version += 1
    kind.save()
    client = client_as(EDITOR)
    url = reverse(
        "admin:stakeholders_organisationtype_simple_history",
        args=[kind.pk, first.history_id],
    )

    response = client.post(
        url,
        {"name": "Renamed by an editor", "slug": "renamed", "seen_version": 2},
    )

    kind.refresh_from_db()
    assert (kind.name, kind.slug) == ("Donor, current name", "first"), (
        f"an editor changed an organisation type ({describe(response)})"
    )
    assert response.status_code == 403


def test_an_editor_logs_in_through_the_admin_login_page(client, user_with_role):
    """Editors enter the admin by their role, without staff status
    (accounts/sites.py), so its login page must let them in too."""
    editor = user_with_role(EDITOR)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": editor.username, "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302, "the admin's login form refused an editor"
    assert location(response) == "/admin/"
    assert client.get("/admin/").status_code == 200


# CSRF -------------------------------------------------------------------------

STATE_CHANGING = routes_where(
    lambda r: (
        r.name
        in (
            "login",
            "logout",
            "password_change",
            "admin:login",
            "admin:logout",
            "admin:password_change",
        )
        or (
            r.is_admin
            and r.name.endswith(
                (
                    "_add",
                    "_change",
                    "_delete",
                    "_changelist",
                    "_simple_history",
                    "_password_change",
                    "_erase",
                )
            )
        )
        or r.name.startswith("admin:meetings_meeting_import")
    )
)


@pytest.mark.parametrize("route", STATE_CHANGING, ids=str)
def test_a_post_without_the_csrf_token_is_refused(route, user_with_role, objects):
    client = logged_in(user_with_role(ADMINISTRATOR), enforce_csrf_checks=True)
    url = build_url(route, objects)

    response = client.post(url, {"username": "x", "password": "y", "name": "x"})

    assert response.status_code == 403, describe(response)
    assert "CSRF verification failed" in response.text


def test_a_post_with_the_csrf_token_adds_an_organisation(user_with_role):
    client = logged_in(user_with_role(ADMINISTRATOR), enforce_csrf_checks=True)
    url = reverse("admin:stakeholders_organisation_add")
    data = form_data(client.get(url))
    data.update(
        name="Digital Health Agency",
        type=OrganisationType.objects.get(slug="ministry").pk,
        csrfmiddlewaretoken=client.cookies["csrftoken"].value,
    )

    response = client.post(url, data)

    assert response.status_code == 302, describe(response)
    assert Organisation.objects.filter(name="Digital Health Agency").exists()


def test_a_login_with_the_csrf_token_succeeds(user_with_role):
    viewer = user_with_role(VIEWER)
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")

    response = client.post(
        "/accounts/login/",
        {
            "username": viewer.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )

    assert response.status_code == 302, describe(response)
    assert client.session["_auth_user_id"] == str(viewer.pk)


# No open redirects ------------------------------------------------------------

REDIRECT_PAYLOADS = [
    "https://evil.example",
    "http://evil.example/",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "http:evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:/\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "\t//evil.example",
    "\n//evil.example",
    " //evil.example",
    "\x0b//evil.example",
    "/\t/evil.example",
    "https://hamkor.example@evil.example",
    "https://testserver@evil.example",
    "//testserver@evil.example",
    "https://testserver.evil.example",
    "https://evil.example\\@testserver",
    "https://evil.example#@testserver",
    "ftp://evil.example",
    "https://evil。example",
    "//evil%E3%80%82example",
    "///\\;@evil.example",
    "http://[::1]@evil.example",
    "/admin/../\\evil.example",
]


def stays_on_site(url):
    """Where a browser would go stays on this host: no other scheme or host,
    however the URL is spelled."""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={"testserver"}):
        return False
    squeezed = re.sub(r"[\t\n\r]", "", url).strip("\x00\x20").replace("\\", "/")
    parts = urlsplit(squeezed)
    return (
        parts.scheme in ("", "http", "https")
        and parts.netloc in ("", "testserver")
        and not squeezed.startswith("//")
    )


REDIRECTING = {
    "login": ("/accounts/login/", False),
    "admin:login": ("/admin/login/", False),
    "logout": ("/accounts/logout/", True),
    "admin:logout": ("/admin/logout/", True),
}


@pytest.mark.parametrize("endpoint", REDIRECTING, ids=str)
@pytest.mark.parametrize(
    "target", REDIRECT_PAYLOADS, ids=[f"next{i}" for i in range(len(REDIRECT_PAYLOADS))]
)
def test_next_never_leads_off_site(endpoint, target, client, superuser):
    url, needs_login = REDIRECTING[endpoint]
    if needs_login:
        client.force_login(superuser)
        data = {"next": target}
    else:
        # The admin's login form admits staff only (see the editor test).
        data = {"username": superuser.username, "password": PASSWORD, "next": target}

    response = client.post(f"{url}?next={quote(target)}", data)

    assert response.status_code == 302, describe(response)
    assert stays_on_site(location(response)), f"sent to {location(response)!r}"


def test_a_safe_next_is_followed(client, superuser):
    response = client.post(
        "/accounts/login/",
        {"username": superuser.username, "password": PASSWORD, "next": "/meetings/"},
    )

    assert location(response) == "/meetings/"


# Headers, cookies and error pages ------------------------------------------------


def csp_directives(response):
    header = response.get("Content-Security-Policy", "")
    return {
        name: values
        for name, *values in (
            part.split() for part in header.split(";") if part.strip()
        )
    }


def header_problems(response):
    problems = []
    directives = csp_directives(response)
    script_src = directives.get("script-src", directives.get("default-src"))
    if script_src is None:
        problems.append("no Content-Security-Policy for scripts")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(script_src):
        problems.append(f"script-src {' '.join(script_src)}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("frame-ancestors is not 'none'")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.get('X-Frame-Options')}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
        problems.append(f"Referrer-Policy {response.get('Referrer-Policy')}")
    return problems


def test_every_page_sends_the_security_headers(user_with_role, objects):
    assert not settings.DEBUG
    anonymous = Client()
    administrator = logged_in(user_with_role(ADMINISTRATOR))
    found = {}
    for route in ROUTES:
        url = build_url(route, objects)
        for client in (anonymous, administrator):
            response = client.get(url)
            if problems := header_problems(response):
                found[f"{url} ({describe(response)})"] = problems

    assert found == {}


class InlineCode(HTMLParser):
    """What script-src and style-src 'self' block: inline scripts, styles,
    style attributes and event handlers."""

    def __init__(self):
        super().__init__()
        self.found = []
        self.inline = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.found += [f"<{tag} {name}=...>" for name, _ in attrs if name == "style"]
        self.found += [f"<{tag} {name}=...>" for name, _ in attrs if name[:2] == "on"]
        self.inline = None
        if tag == "style" or (
            tag == "script"
            and "src" not in attributes
            and attributes.get("type") != "application/json"
        ):
            self.inline = tag

    def handle_data(self, data):
        if self.inline and data.strip():
            self.found.append(f"inline <{self.inline}>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        self.inline = None


def test_no_page_carries_inline_code_the_policy_would_block(user_with_role, objects):
    administrator = logged_in(user_with_role(ADMINISTRATOR))
    # Each record saved twice: history pages list changes.
    for route in ROUTES:
        build_url(route, objects)
    for instance in objects.made.values():
        instance.save()
    found = {}
    for route in ROUTES:
        url = build_url(route, objects)
        response = administrator.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        finder = InlineCode()
        finder.feed(response.content.decode())
        if finder.found:
            found[url] = sorted(set(finder.found))

    assert found == {}


def test_the_session_and_csrf_cookies_are_secure(client, user_with_role):
    viewer = user_with_role(VIEWER)
    client.get("/accounts/login/")
    csrf_cookie = client.cookies["csrftoken"]

    response = log_in(client, viewer.username, PASSWORD)

    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"] is True
    assert session_cookie["secure"] is True
    assert session_cookie["samesite"] == "Lax"
    assert session_cookie["max-age"] == ""  # ends when the browser closes
    assert csrf_cookie["secure"] is True


SECRETS = (
    "Traceback",
    "SECRET_KEY",
    "DATABASES",
    "settings.py",
    "URLconf",
    "auth_user",
    "SELECT",
    "RuntimeError",
)


def assert_reveals_nothing(response):
    text = response.text
    leaked = [word for word in SECRETS if word in text]
    assert leaked == []
    assert settings.SECRET_KEY not in text
    assert header_problems(response) == []


def test_a_404_page_reveals_nothing(client_as):
    client = client_as(VIEWER)

    for url in ("/organisations/999999/", "/no-such-page/", "/meetings/1.ics"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "This page does not exist" in response.text
        assert_reveals_nothing(response)


def test_a_403_page_reveals_nothing(client_as):
    client = client_as(None)

    response = client.get("/organisations/")

    assert response.status_code == 403
    assert "You may not see this page" in response.text
    assert_reveals_nothing(response)


@pytest.mark.urls(__name__)
def test_a_server_error_reveals_nothing(client_as):
    client = client_as(VIEWER)
    client.raise_request_exception = False

    response = client.get("/explode/")

    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert_reveals_nothing(response)


# Idle sessions ---------------------------------------------------------------------


def last_seen_ago(client, seconds):
    session = client.session
    session[LAST_SEEN] = timezone.now().timestamp() - seconds
    session.save()


def idle_limit_seconds():
    return settings.SESSION_IDLE_MINUTES * 60 + settings.SESSION_REFRESH_SECONDS


def test_a_session_idle_past_the_limit_is_logged_out(client_as):
    client = client_as(VIEWER)
    last_seen_ago(client, idle_limit_seconds() + 1)

    response = client.get("/meetings/")

    assert is_login_redirect(response), describe(response)
    assert login_next(response) == "/meetings/"
    assert "_auth_user_id" not in client.session


def test_a_session_used_within_the_limit_stays_logged_in(client_as):
    client = client_as(VIEWER)
    last_seen_ago(client, settings.SESSION_IDLE_MINUTES * 60 - 60)
    before = timezone.now().timestamp()

    response = client.get("/meetings/")

    assert response.status_code == 200
    assert client.session[LAST_SEEN] >= before  # the idle clock starts again
    assert settings.SESSION_IDLE_MINUTES == 30


@pytest.mark.parametrize(
    ("minutes", "refresh", "age"), [(30, 60, 30 * 60 + 60), (1, 15, 75), (2, 30, 150)]
)
def test_the_session_is_written_often_enough_for_its_idle_limit(
    minutes, refresh, age, monkeypatch
):
    """What config/settings.py makes of SESSION_IDLE_MINUTES: a write at
    least four times within the limit, and a session that outlives the limit
    by one interval between writes."""
    monkeypatch.setenv("SESSION_IDLE_MINUTES", str(minutes))

    configured = runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "settings.py"))

    assert configured["SESSION_REFRESH_SECONDS"] == refresh
    assert configured["SESSION_COOKIE_AGE"] == age


@pytest.fixture
def clock(monkeypatch):
    """Django's clock, stopped; ``clock.advance(seconds)`` moves it on. The
    sessions' expiry and the idle clock both read it."""

    class Clock:
        now = timezone.now()

        def advance(self, seconds):
            self.now += datetime.timedelta(seconds=seconds)

    stopped = Clock()
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped


def test_activity_keeps_a_session_with_a_one_minute_limit_alive(
    client_as, clock, settings
):
    # As SESSION_IDLE_MINUTES=1 configures them (see the test above).
    settings.SESSION_IDLE_MINUTES = 1
    settings.SESSION_REFRESH_SECONDS = 15
    settings.SESSION_COOKIE_AGE = 75
    client = client_as(VIEWER)
    answers = []
    for _request in range(10):
        clock.advance(50)
        answers.append(client.get("/meetings/").status_code)
    # Each request moved the session's expiry on.
    expiry = Session.objects.get().expire_date
    last_request = clock.now

    clock.advance(59)
    still_active = client.get("/meetings/")
    clock.advance(76)
    idle = client.get("/meetings/")

    assert answers == [200] * 10
    assert expiry == last_request + datetime.timedelta(seconds=75)
    assert still_active.status_code == 200
    assert is_login_redirect(idle), describe(idle)

"""Hardening, checked from the outside: logins everywhere, no writes for
viewers, CSRF on every form, escaped output, no open redirects, login
throttling, security headers, quiet error pages and the idle timeout."""

import csv
import datetime
import io
import re
import runpy
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import openpyxl
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

import config.urls
from accounts.access import ANONYMOUS, allows, required_role
from accounts.middleware import LAST_SEEN, client_ip
from accounts.roles import ADMINISTRATOR, EDITOR, VIEWER
from core.exports import neutralise
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from stakeholders.models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)
from tests.stakeholders.test_admin import form_data

from .conftest import (
    METHODS,
    PASSWORD,
    ROUTES,
    build_url,
    describe,
    follow_on_site,
    is_login_redirect,
    location,
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


def logged_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


# Every page needs a login ----------------------------------------------------

GATED = routes_where(lambda r: required_role(r.name, "GET") not in (None, ANONYMOUS))


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


# Escaped output ---------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "'\"><iframe src=javascript:alert(1)>",
    "{{7*7}}",
    "{% debug %}{{ request.user.password }}",
    "</textarea><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">click</a>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<base href="//evil.example/">',
    '<meta http-equiv="refresh" content="0;url=//evil.example">',
    '<object data="javascript:alert(1)"></object>',
    "<style>@import '//evil.example/x.css';</style>",
    "<scr<script>ipt>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "＜script＞alert(1)＜/script＞",
    "Всемирная <script>alert('ВОЗ')</script> oʻzbek",
    "\u202e<script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "]]><script>alert(1)</script>",
    "${alert(1)}`${alert(1)}`",
    '<iframe srcdoc="<script>alert(1)</script>">',
    '=HYPERLINK("javascript:alert(1)","x")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
# Saved as an organisation's website behind the form's back: none may become
# a link.
SCRIPT_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "ping",
}
FOREIGN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "math"}


def is_script_url(value):
    # Browsers drop control characters and whitespace from a URL's scheme.
    squeezed = re.sub(r"[\x00-\x20]", "", unescape(value)).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


class InjectionFinder(HTMLParser):
    """Markup that could run script, as a browser would parse the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.open_script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>: an event handler")
            elif name == "srcdoc" or (
                name in URL_ATTRIBUTES and value and is_script_url(value)
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag in FOREIGN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in attributes:
            self.found.append("<meta http-equiv>")
        if tag in ("script", "style"):
            self.open_script = (tag, attributes)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.open_script = None

    def handle_data(self, data):
        if self.open_script is None or not data.strip():
            return
        tag, attributes = self.open_script
        if tag == "script" and attributes.get("type") == "application/json":
            return
        self.found.append(f"inline <{tag}>: {data.strip()[:80]!r}")


@pytest.mark.parametrize(
    "payload",
    [
        p
        for p in XSS_PAYLOADS
        if re.search(r'<[a-zA-Z]|" on', p) and not p.startswith(("<!--", "<scr<"))
    ],
)
def test_the_injection_finder_spots_active_markup_left_unescaped(payload):
    finder = InjectionFinder()

    finder.feed(f'<p title="{payload}">{payload}</p>')

    assert finder.found


def fit(text, model, field):
    return text[: model._meta.get_field(field).max_length or None]


def email_with(payload):
    """An address whose quoted local part carries ``payload``, when such an
    address is valid; else a plain one."""
    address = '"' + re.sub(r'["\\\s]', "", payload)[:60] + '"@example.org'
    try:
        validate_email(address)
    except ValidationError:
        return "xss@example.org"
    return address


def xss_graph(payload, website):
    """One record of every model, every text field holding ``payload``."""
    kind = OrganisationType.objects.create(
        name=payload, slug="xss-type", description=payload
    )
    parent = Organisation.objects.create(
        name=fit(f"Parent {payload}", Organisation, "name"), type=kind
    )
    organisation = Organisation.objects.create(
        name=payload,
        acronym=fit(payload, Organisation, "acronym"),
        type=kind,
        parent=parent,
        country="UZ",
        website=website,
        email=email_with(payload),
        phone=fit(payload, Organisation, "phone"),
        address=payload,
        notes=payload,
    )
    other_name = OrganisationName.objects.create(
        organisation=organisation, name=f"{payload} (ru)"
    )
    identifier = OrganisationIdentifier.objects.create(
        organisation=organisation,
        scheme=fit(payload, OrganisationIdentifier, "scheme"),
        value=fit(payload, OrganisationIdentifier, "value"),
    )
    person = Person.objects.create(
        full_name=payload,
        email=email_with(payload),
        phone=fit(payload, Person, "phone"),
        notes=payload,
    )
    position = Position.objects.create(
        person=person,
        organisation=organisation,
        title=payload,
        department=payload,
        notes=payload,
        since=datetime.date(2024, 1, 1),
    )
    topic = Topic.objects.create(name=payload, description=payload)
    meeting = Meeting.objects.create(
        title=payload,
        starts_at=timezone.now() - datetime.timedelta(days=3),
        venue=payload,
        summary=payload,
        outcomes=payload,
        status=Meeting.Status.HELD,
        host=organisation,
    )
    meeting.initiators.add(organisation)
    agenda_item = AgendaItem.objects.create(
        meeting=meeting, topic=topic, notes=payload, outcome=payload
    )
    attendance = Attendance.objects.create(
        meeting=meeting,
        organisation=organisation,
        person=person,
        status=Attendance.Status.ATTENDED,
        notes=payload,
    )
    follow_up = FollowUp.objects.create(
        meeting=meeting,
        action=payload,
        owner_organisation=organisation,
        owner_person=person,
        notes=payload,
    )
    return [
        kind,
        parent,
        organisation,
        other_name,
        identifier,
        person,
        position,
        topic,
        meeting,
        agenda_item,
        attendance,
        follow_up,
    ]


def stored_texts(records):
    """Every non-empty text value written to ``records``."""
    texts = set()
    for record in records:
        for field in record._meta.concrete_fields:
            if field.generated:  # a search key, derived and never shown
                continue
            value = getattr(record, field.attname)
            if isinstance(value, str) and value and field.name not in ("slug",):
                texts.add(value)
    return texts


def html_pages(records, payload):
    kind, parent, organisation, _name, _id, person, *_rest = records
    meeting = records[8]
    q = quote(payload)
    pages = [
        "/",
        f"/organisations/?q={q}",
        f"/organisations/?type={kind.slug}&sort=name",
        f"/organisations/{organisation.pk}/",
        f"/organisations/{parent.pk}/",
        f"/people/?q={q}",
        f"/people/{person.pk}/",
        f"/meetings/?q={q}",
        f"/meetings/{meeting.pk}/",
        # An invalid filter echoes what was typed.
        f"/meetings/?after={q}",
    ]
    for record in records:
        if record is parent:
            continue  # an organisation's pages are checked with the child's
        info = record._meta.app_label, record._meta.model_name
        history_id = record.history.latest().history_id
        pages += [
            reverse("admin:{}_{}_changelist".format(*info)) + f"?q={q}",
            reverse("admin:{}_{}_change".format(*info), args=[record.pk]),
            reverse("admin:{}_{}_history".format(*info), args=[record.pk]),
            reverse(
                "admin:{}_{}_simple_history".format(*info),
                args=[record.pk, history_id],
            ),
        ]
    return list(dict.fromkeys(pages))


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize(
    ("payload", "website"),
    [
        (payload, SCRIPT_URLS[i % len(SCRIPT_URLS)])
        for i, payload in enumerate(XSS_PAYLOADS)
    ],
    ids=[f"payload{i}" for i in range(len(XSS_PAYLOADS))],
)
def test_stored_markup_comes_back_escaped_everywhere(payload, website, user_with_role):
    records = xss_graph(payload, website)
    texts = stored_texts(records)
    client = logged_in(user_with_role(ADMINISTRATOR))
    raw_texts = [text for text in texts if any(c in text for c in '<>"')]

    seen = []
    for url in html_pages(records, payload):
        response = client.get(url)
        assert response.status_code in (200, 400), f"{url}: {describe(response)}"
        html = response.text
        finder = InjectionFinder()
        finder.feed(html)
        assert finder.found == [], f"{url}: markup injected"
        for text in raw_texts:
            assert text not in html, f"{url}: unescaped {text!r}"
        seen.append(html)

    everything = "\n".join(seen)
    missing = [text for text in texts if escape(text) not in everything]
    assert missing == [], "stored values shown nowhere (or not escaped as expected)"

    # Downloads are attachments of their own type, never a page to render, and
    # carry the values as text (formulas neutralised).
    cells = set()
    for url in (
        "/organisations/export.csv",
        "/people/export.csv",
        "/meetings/export.csv",
        "/organisations/export.xlsx",
        "/people/export.xlsx",
        "/meetings/export.xlsx",
        f"/meetings/{records[8].pk}.ics",
        f"/organisations/suggest/?q={quote(payload[:20])}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response["Content-Type"].startswith("text/html"), url
        assert response["X-Content-Type-Options"] == "nosniff", url
        content = body(response)
        if "suggest" not in url:
            assert response["Content-Disposition"].startswith("attachment"), url
        if url.endswith(".csv"):
            text = content.decode("utf-8-sig")
            cells |= {cell for row in csv.reader(io.StringIO(text)) for cell in row}
        elif url.endswith(".xlsx"):
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
            cells |= {
                cell
                for sheet in workbook.worksheets
                for row in sheet.iter_rows(values_only=True)
                for cell in row
            }
    organisation, person, meeting = records[2], records[5], records[8]
    for value in (
        organisation.name,
        organisation.acronym,
        person.full_name,
        meeting.title,
        meeting.venue,
    ):
        assert neutralise(value) in cells, f"{value!r} missing from the exports"


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


# Login throttling -------------------------------------------------------------


def log_in(client, username, password, path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def fail_until_locked(client, username, **extra):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, username, "wrong password", **extra)


def is_locked_out(response):
    return (
        response.status_code == 429
        and "Too many failed log-in attempts" in response.text
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client, user_with_role
):
    viewer = user_with_role(VIEWER)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, viewer.username, "wrong password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    log_in(client, viewer.username, "wrong password")

    response = log_in(client, viewer.username, PASSWORD)

    assert settings.AXES_FAILURE_LIMIT == 5
    assert is_locked_out(response), describe(response)
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_how_long_the_lock_lasts(
    client, user_with_role, settings
):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    viewer = user_with_role(VIEWER)
    fail_until_locked(client, viewer.username)

    response = log_in(client, viewer.username, PASSWORD)

    assert is_locked_out(response), describe(response)
    assert "Try again in 15 minutes" in response.text


def test_a_lockout_also_closes_the_admin_login(client, superuser):
    fail_until_locked(client, superuser.username)

    response = log_in(client, superuser.username, PASSWORD, path="/admin/login/")

    assert is_locked_out(response), describe(response)


def test_a_lockout_does_not_lock_another_username_from_the_same_address(
    client, user_with_role
):
    locked = user_with_role(VIEWER)
    other = user_with_role(VIEWER, username="colleague")
    fail_until_locked(client, locked.username)

    response = log_in(client, other.username, PASSWORD)

    assert response.status_code == 302, describe(response)


def test_a_forged_forwarded_for_header_does_not_escape_a_lockout(
    client, user_with_role
):
    viewer = user_with_role(VIEWER)
    fail_until_locked(client, viewer.username)

    response = log_in(
        client, viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert is_locked_out(response), describe(response)


def behind_proxies(settings, count=1):
    """Settings as BEHIND_TLS_PROXY=true makes them, with ``count`` proxies."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = count


def test_behind_the_proxy_the_address_it_appended_is_the_one_locked_out(
    client, user_with_role, settings
):
    behind_proxies(settings)
    viewer = user_with_role(VIEWER)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The client's own claim varies; the proxy's addition does not.
        log_in(
            client,
            viewer.username,
            "wrong password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 10.0.0.1",
        )

    same_client = log_in(
        client,
        viewer.username,
        PASSWORD,
        HTTP_X_FORWARDED_FOR="198.51.100.99, 10.0.0.1",
    )
    other_client = log_in(
        Client(), viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.2"
    )

    assert is_locked_out(same_client), describe(same_client)
    assert other_client.status_code == 302, describe(other_client)


def test_guesses_from_forged_rotating_addresses_lock_the_username(
    client, user_with_role, settings
):
    """The application's port reached directly, past the proxy: every guess
    claims another address, and the username is locked all the same."""
    behind_proxies(settings)
    viewer = user_with_role(VIEWER)
    answers = [
        log_in(
            client,
            viewer.username,
            "wrong password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
        for attempt in range(20)
    ]

    right_password = log_in(
        Client(), viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50"
    )

    locked = [is_locked_out(answer) for answer in answers]
    limit = settings.AXES_USERNAME_FAILURE_LIMIT
    assert limit == 10
    assert locked == [False] * (limit - 1) + [True] * (20 - limit + 1)
    assert is_locked_out(right_password), describe(right_password)


def test_fewer_wrong_passwords_from_many_addresses_lock_nobody_out(
    client, user_with_role, settings
):
    behind_proxies(settings)
    viewer = user_with_role(VIEWER)
    for attempt in range(settings.AXES_USERNAME_FAILURE_LIMIT - 1):
        log_in(
            client,
            viewer.username,
            "wrong password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = log_in(
        Client(), viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50"
    )

    assert response.status_code == 302, describe(response)


@pytest.mark.parametrize(
    ("count", "forwarded", "client_address"),
    [
        # No proxy: the header is the client's own claim.
        (0, "198.51.100.7", "192.0.2.1"),
        # nginx alone appends what it saw; the entry before it is a claim.
        (1, "10.9.9.9, 198.51.100.7", "198.51.100.7"),
        # A CDN, then nginx: the CDN's entry is the client's address.
        (2, "10.9.9.9, 198.51.100.7, 203.0.113.80", "198.51.100.7"),
        # Fewer entries than proxies: it did not come through them all.
        (2, "198.51.100.7", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        # Not an address at all.
        (1, "198.51.100.7, not-an-address", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_through_the_trusted_proxies_only(
    count, forwarded, client_address, rf, settings
):
    settings.TRUSTED_PROXY_COUNT = count
    request = rf.post(
        "/accounts/login/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert client_ip(request) == client_address


def test_a_locked_out_user_logs_in_again_after_the_cool_off(client, user_with_role):
    viewer = user_with_role(VIEWER)
    fail_until_locked(client, viewer.username)
    cool_off = settings.AXES_COOLOFF_TIME

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - cool_off + datetime.timedelta(minutes=1)
    )
    still_locked = log_in(client, viewer.username, PASSWORD)
    # The refused attempt started the cool-off again.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - cool_off - datetime.timedelta(minutes=1)
    )
    after = log_in(client, viewer.username, PASSWORD)

    assert cool_off == datetime.timedelta(minutes=15)
    assert is_locked_out(still_locked), describe(still_locked)
    assert after.status_code == 302, describe(after)


def test_a_successful_login_resets_the_count_of_failures(client, user_with_role):
    viewer = user_with_role(VIEWER)
    almost = settings.AXES_FAILURE_LIMIT - 1
    for _attempt in range(almost):
        log_in(client, viewer.username, "wrong password")
    assert log_in(client, viewer.username, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(almost):
        log_in(client, viewer.username, "wrong password")

    response = log_in(client, viewer.username, PASSWORD)

    assert response.status_code == 302, describe(response)


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

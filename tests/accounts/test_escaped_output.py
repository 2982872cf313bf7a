"""Hardening: markup stored in every field comes back escaped on every page
and export, and no stored website becomes a script link."""

import csv
import datetime
import io
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import quote

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.roles import ADMINISTRATOR
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

from .conftest import (
    describe,
    logged_in,
)

pytestmark = pytest.mark.django_db


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

"""Every page and admin screen in a pseudo-language: each string that went
through Django's translation is shown between ⟦ and ⟧, so any other visible
text is either data (names, dates, numbers, e-mail addresses: what the
database holds) or a string that bypassed translation and would stay English
on an Uzbek or Russian screen.

One test, one client, one pass over every route of the project (the same walk
and URL builder as the access tests, tests/accounts/conftest.py), as an
anonymous visitor, a viewer, an editor and an administrator, on the demo
meeting, plus the pages no route lists by itself: the import preview, a 403
and a 404.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import trans_real

from accounts.access import ANONYMOUS
from accounts.roles import ROLES
from meetings.imports.words import HEADERS, ROLE_WORDS, STATUS_WORDS
from meetings.models import Meeting
from meetings.services import demo_load
from stakeholders.models import Organisation, Person
from tests.accounts.conftest import ROUTES, Objects, build_url
from tests.meetings.test_import_admin import SHEET, upload

OPEN, CLOSE = "⟦", "⟧"
PSEUDO = "en-x-pseudo"

# Words that are neither translated nor data, each for a reason.
ALLOWED = {
    # The product's name, the same in every language.
    "hamkor": "product name",
    # The language switch names each language in that language (an autonym),
    # so that a reader finds their own whatever the page's language.
    "oʻzbekcha": "language autonym",
    "русский": "language autonym",
    "english": "language autonym",
}

# Text a library writes into the database in English, shown as data: allowed
# as quoted, with the reason. (What Django and the libraries write on a page
# without translation, Hamkor replaces: core/library_text.py,
# accounts/login_records.py, meetings.models.Initiator.)
LIBRARY_TEXT = {
    r"<unknown>": "django-axes records a request that sent no User-Agent header "
    "with this user agent (the test client sends none; a browser always does)",
}
LIBRARY = re.compile("|".join(f"(?:{pattern})" for pattern in LIBRARY_TEXT))

# The attributes a reader sees or hears (a screen reader reads aria-label).
TEXT_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
BUTTON_INPUTS = {"submit", "button", "reset"}
INVISIBLE = {"script", "style", "noscript"}
MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# A marked string cut short by truncatechars (an object's name in the
# admin's breadcrumbs): its closing marker went with the cut.
TRUNCATED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}<>]*…")
# A password hash as the admin masks it: "bV****…".
MASKED = re.compile(r"\b\w{0,8}\*{4,}")
EMAIL = re.compile(r"\S+@\S+")
WEB_ADDRESS = re.compile(r"https?://\S+")
WORD = re.compile(r"[^\W\d_]+")


class PseudoTranslation(trans_real.DjangoTranslation):
    """English, with every message that Django's translation functions look up
    (gettext, ngettext, pgettext, npgettext: the last two call the first two
    with the context in front) returned between markers.

    It answers to a language code of its own: what Hamkor remembers per
    language (dates, country names, Django's formats) was remembered in
    English by the tests before, and must be worked out again here."""

    def to_language(self):
        return PSEUDO

    def gettext(self, message):
        result = super().gettext(message)
        if trans_real.CONTEXT_SEPARATOR in result:
            # pgettext's lookup of a message with no translation in that
            # context: the message itself, marked all the same.
            result = result.split(trans_real.CONTEXT_SEPARATOR, 1)[1]
        return f"{OPEN}{result}{CLOSE}"

    def ngettext(self, singular, plural, number):
        result = super().ngettext(singular, plural, number)
        if trans_real.CONTEXT_SEPARATOR in result:
            result = result.split(trans_real.CONTEXT_SEPARATOR, 1)[1]
        return f"{OPEN}{result}{CLOSE}"


@pytest.fixture
def pseudo_language(monkeypatch):
    """The default language (what a request without a cookie, an
    Accept-Language or a stored choice gets) becomes the pseudo-language."""
    language = settings.LANGUAGE_CODE
    pseudo = PseudoTranslation(language)
    # Under the default's code, and its own (translation.override() comes
    # back to the language by its code).
    monkeypatch.setitem(trans_real._translations, language, pseudo)
    monkeypatch.setitem(trans_real._translations, PSEUDO, pseudo)
    monkeypatch.setattr(trans_real, "_default", None)
    trans_real.activate(language)
    yield
    trans_real.deactivate()


class VisibleText(HTMLParser):
    """The text nodes and the visible attributes of a page, each with where it
    was found."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts = []
        self.hidden = 0
        # An element marked translate="no" (text a sheet may hold, in any
        # language): its tag and how deep the parser is inside it.
        self.untranslated = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.untranslated:
            if tag == self.untranslated[0]:
                self.untranslated[1] += 1
            return
        if attrs.get("translate") == "no":
            self.untranslated = [tag, 1]
            return
        if tag in INVISIBLE:
            self.hidden += 1
        for name in TEXT_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append((f"<{tag} {name}>", attrs[name]))
        if tag == "input" and attrs.get("type") in BUTTON_INPUTS and attrs.get("value"):
            self.texts.append((f"<{tag} value>", attrs["value"]))
        if tag == "optgroup" and attrs.get("label"):
            self.texts.append(("<optgroup label>", attrs["label"]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.untranslated:
            if tag == self.untranslated[0]:
                self.untranslated[1] -= 1
                if not self.untranslated[1]:
                    self.untranslated = None
            return
        if tag in INVISIBLE:
            self.hidden = max(self.hidden - 1, 0)

    def handle_data(self, data):
        if not self.hidden and not self.untranslated and data.strip():
            self.texts.append(("text", data))


def data_words():
    """Every word the database holds in a text column: names, titles, notes,
    venues, usernames; what a page may show untranslated. Permission names
    are left out: Django stores them in English, and a screen showing them
    as they are stored would be English in every language."""
    skipped = {"auth.permission", "contenttypes.contenttype", "sessions.session"}
    words = set()
    for model in apps.get_models():
        if model._meta.label_lower in skipped:
            continue
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField))
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if value:
                    words.update(word.casefold() for word in WORD.findall(value))
    # What a sign-in sheet's headers and cells may say, in every language:
    # the import page lists them as a sheet writes them; the preview shows
    # the uploaded sheet's own text.
    for value in [*sheet_words(), SHEET.decode()]:
        words.update(word.casefold() for word in WORD.findall(value))
    return words


def sheet_words():
    for spellings in [*HEADERS.values(), *ROLE_WORDS.values(), *STATUS_WORDS.values()]:
        yield from spellings


def unmarked(html):
    """``html`` without the marked strings; markup inside one goes with it
    (a translation may hold a <strong> name)."""
    while True:
        shorter = MARKED.sub(" ", html)
        if shorter == html:
            return TRUNCATED.sub(" ", html)
        html = shorter


def bypasses(text, known):
    """The words of ``text`` (outside the marked strings) that are neither
    data nor allowed."""
    # The recording page's <template> rows say "__label__" where record.js
    # puts a new row's name.
    text = LIBRARY.sub(" ", text.strip()).replace("__label__", " ")
    text = WEB_ADDRESS.sub(" ", EMAIL.sub(" ", MASKED.sub(" ", text)))
    return [
        word
        for word in WORD.findall(text)
        if word.casefold() not in known and word.casefold() not in ALLOWED
    ]


def unmarked_text(html, known):
    parser = VisibleText()
    parser.feed(unmarked(html))
    parser.close()
    found = []
    for where, text in parser.texts:
        words = bypasses(text, known)
        if words:
            found.append(f"{where}: {' '.join(text.split())!r} ({', '.join(words)})")
    return found


@pytest.fixture
def demo(db, django_user_model, role):
    """The demo meeting, with one object of every other kind beside it, and a
    user of each role."""
    meeting = demo_load()
    objects = Objects()
    objects.made["meetings.meeting"] = meeting
    for label, first in [
        ("stakeholders.organisation", Organisation.objects.first()),
        ("stakeholders.person", Person.objects.first()),
        ("meetings.attendance", meeting.attendances.first()),
        ("meetings.agendaitem", meeting.agenda_items.first()),
        ("meetings.followup", meeting.follow_ups.first()),
    ]:
        if first is not None:
            objects.made[label] = first
    users = {}
    for name in ROLES:
        user = django_user_model.objects.create_user(
            username=f"{name}-user", email=f"{name}@example.org"
        )
        user.groups.add(role(name))
        users[name] = user
    return meeting, objects, users


def pages(objects):
    """(name, URL) of every route this can build a URL for with GET."""
    for route in ROUTES:
        if route.name in ("logout", "admin:logout", "language"):
            continue
        try:
            url = build_url(route, objects)
        except LookupError:
            continue
        yield route.name, url


def test_no_visible_text_bypasses_translation(pseudo_language, demo, client):
    meeting, objects, users = demo
    urls = list(pages(objects))
    found = {}
    checked = set()

    def check(who, name, response):
        if response.status_code in (301, 302, 405):
            return
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        checked.add((who, name))
        for problem in unmarked_text(response.content.decode(), known):
            found.setdefault(problem, f"{name} ({who}, {response.status_code})")

    known = data_words()
    for who in [ANONYMOUS, *ROLES]:
        if who != ANONYMOUS:
            client.force_login(users[who])
        for name, url in urls:
            check(who, name, client.get(url))
        check(who, "404", client.get("/no-such-page/"))
        # The attendance matrix's second view, chosen by a parameter.
        check(who, "attendance pivot", client.get("/attendance/?view=pivot"))
        if who == "administrator":
            # The import preview: a real upload's, kept in the session.
            uploaded = upload(client, meeting)
            assert uploaded.status_code == 302, "the demo sheet did not upload"
            check(who, "import preview", client.get(uploaded.url))
        client.logout()

    # The pass read the pages that matter, and they were in the pseudo-language.
    assert f"{OPEN}Log in{CLOSE}" in client.get("/accounts/login/").content.decode()
    assert len(checked) > 200, len(checked)
    for page in [
        (ANONYMOUS, "login"),
        (ANONYMOUS, "404"),
        ("viewer", "home"),
        ("viewer", "meetings:detail"),
        ("viewer", "attendance:list"),
        ("viewer", "attendance pivot"),
        ("viewer", "meetings:record"),  # a 403
        ("viewer", "follow_ups:list"),
        ("editor", "follow_ups:list"),  # with the status forms
        ("editor", "admin:meetings_meeting_change"),
        ("administrator", "admin:meetings_meeting_import"),
        ("administrator", "import preview"),
    ]:
        assert page in checked, f"{page} was not read"
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    report = sorted(f"{page}: {problem}" for problem, page in found.items())
    assert not found, "Text that bypassed translation:\n" + "\n".join(report)


def test_the_check_names_unmarked_text_and_passes_data_and_marked_text():
    known = {"uzinfocom", "dilnoza"}
    html = (
        '<h1>⟦Meeting⟧ UZINFOCOM</h1><p title="Close">⟦Attended by ⟦<b>Dilnoza'
        "</b>⟧⟧ 29 ⟦Jan⟧ 2025, 14:00, dilnoza@example.uz</p>"
        '<input type="submit" value="Save"><button value="uz">⟦Save⟧</button>'
        "<script>alert('Hello')</script><td translate=\"no\">Tashkilot</td>"
    )
    assert unmarked_text(html, known) == [
        "<p title>: 'Close' (Close)",
        "<input value>: 'Save' (Save)",
    ]

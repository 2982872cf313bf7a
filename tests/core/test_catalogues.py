"""The translations (issue 12): every message of Hamkor's catalogues and of
what the libraries lack translated, keeping its placeholders, in every
interface language but English; the catalogues in step with the code and
the installed libraries; the interface rendered in Uzbek."""

import datetime
import gettext as gettext_module
import io
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
import rest_framework
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.catalogues import (
    DOMAINS,
    Message,
    catalogue_languages,
    catalogue_path,
    header,
    libraries_dir,
    library_translations,
    own_dir,
    placeholders,
    plural_forms,
    read_po,
    respell,
    source_messages,
    write_po,
)
from stakeholders.models import OrganisationType
from tests.factories import MeetingFactory

CATALOGUES = [
    (directory, language, domain)
    for directory in ("own", "libraries")
    for language in catalogue_languages()
    for domain in DOMAINS
]


def catalogue(directory, language, domain):
    """The path of a catalogue, or a skip when it is not written yet: the
    Russian one of Hamkor's own messages is written on another branch."""
    base = own_dir() if directory == "own" else libraries_dir()
    path = catalogue_path(base, language, domain)
    if not path.exists():
        pytest.skip(f"{path.relative_to(settings.BASE_DIR)} does not exist")
    return path


def entries(path):
    return [m for m in read_po(path)[1:] if not m.obsolete]


@pytest.mark.parametrize(("directory", "language", "domain"), CATALOGUES)
def test_every_message_is_translated_and_none_is_fuzzy(directory, language, domain):
    path = catalogue(directory, language, domain)

    untranslated = [m.key for m in entries(path) if not m.translated]

    assert untranslated == [], f"{path}: untranslated or fuzzy"


@pytest.mark.parametrize(("directory", "language", "domain"), CATALOGUES)
def test_every_translation_keeps_the_placeholders_of_its_message(
    directory, language, domain
):
    path = catalogue(directory, language, domain)
    singular_only = forms_for_one_alone(language)
    wrong = []
    for message in entries(path):
        sources = message.sources()
        for index, text in enumerate(message.strings):
            # A plural form used for 1 alone may say what the singular says
            # ("Showing the newest meeting."); one used for other numbers as
            # well (Russian's first, for 1, 21, 31...; Uzbek's only) must
            # carry the plural's placeholders, or 21 would read as one.
            allowed = sources if index in singular_only else sources[-1:]
            if placeholders(text) not in [placeholders(s) for s in allowed]:
                wrong.append((message.msgid, text))

    assert wrong == [], f"{path}: placeholders differ"


def forms_for_one_alone(language):
    """The indexes of the plural forms that ``language``'s rule picks for
    the number 1 and for no other number."""
    rule = gettext_module.c2py(
        re.search(r"plural=(.*?);?$", plural_forms(language)).group(1)
    )
    users = {}
    for number in range(1000):
        users.setdefault(rule(number), set()).add(number)
    return {form for form, numbers in users.items() if numbers == {1}}


@pytest.mark.parametrize(("directory", "language", "domain"), CATALOGUES)
def test_gettext_compiles_each_catalogue_checking_its_formats(
    directory, language, domain, tmp_path
):
    """What compilemessages does (msgfmt --check-format): Django would fail
    to build the catalogue, or read another plural rule, otherwise."""
    path = catalogue(directory, language, domain)
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (apt-get install gettext)"

    result = subprocess.run(
        [msgfmt, "--check-format", "-o", str(tmp_path / "out.mo"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in header(read_po(path)).get("Plural-Forms", "")


@pytest.mark.parametrize(("directory", "language", "domain"), CATALOGUES)
def test_each_catalogue_counts_plurals_as_djangos_own(directory, language, domain):
    """Django merges all catalogues of a language, and the JavaScript
    catalogue has a single plural rule: a catalogue with another rule
    would give some messages the wrong form (or none)."""
    path = catalogue(directory, language, domain)

    assert header(read_po(path))["Plural-Forms"] == plural_forms(language)


@pytest.mark.parametrize(
    ("directory", "domain"),
    [(d, domain) for d in ("own", "libraries") for domain in DOMAINS],
)
def test_uzbek_writes_its_apostrophe_letters_with_their_own_characters(
    directory, domain
):
    """oʻ and gʻ with U+02BB and the tutuq belgisi with U+02BC, never an ASCII
    apostrophe or a quotation mark (and “quotes”, not ASCII ones)."""
    path = catalogue(directory, "uz", domain)
    misspelt = [
        text
        for message in entries(path)
        for text in message.strings
        if respell("uz", text) != text
    ]

    assert misspelt == []


def message_keys(path):
    return {(m.context, m.msgid, m.plural) for m in entries(path)}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the code, templates and scripts, by domain: what
    ``make messages`` would write, extracted into a temporary directory."""
    found = {}
    output = tmp_path_factory.mktemp("messages")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(settings.BASE_DIR)
        for domain in DOMAINS:
            call_command(
                "makemessages",
                locale=["uz"],
                domain=domain,
                output_dir=str(output),
                verbosity=0,
            )
            found[domain] = message_keys(catalogue_path(output, "uz", domain))
    return found


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", catalogue_languages())
def test_the_catalogues_hold_every_message_of_the_code_and_no_other(
    language, domain, extracted
):
    """A message marked in the code, a template or a script and missing from a
    catalogue (or one left there that the code no longer has) means the
    catalogues were not regenerated: run make messages and translate."""
    code = extracted[domain]
    path = catalogue("own", language, domain)
    written = message_keys(path)

    assert code, "makemessages found no message"
    assert sorted(code - written, key=str) == [], f"{path} lacks these"
    assert sorted(written - code, key=str) == [], f"{path} has stale ones"


def test_the_libraries_catalogues_hold_what_the_installed_libraries_lack():
    """After a library upgrade: run manage.py vendor_messages and translate."""
    call_command("vendor_messages", check=True, stdout=io.StringIO())


HEADER = Message(
    msgid="",
    strings=[
        "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; "
        "plural=(n != 1);\n"
    ],
)


def compile_catalogue(locale_dir, language, messages):
    """A library's catalogue as some ship it: the .mo file alone."""
    po = catalogue_path(locale_dir, language, "django")
    write_po(po, [HEADER, *messages])
    msgfmt = shutil.which("msgfmt")
    subprocess.run([msgfmt, "-o", po.with_suffix(".mo"), po], check=True)
    po.unlink()


def test_a_library_shipping_only_mo_files_gives_its_english_messages(tmp_path):
    compile_catalogue(
        tmp_path,
        "en",
        [
            Message(msgid="Not found.", strings=["Not found."]),
            Message(msgid="May", context="long month", strings=["May"]),
            Message(
                msgid="%(count)s item",
                plural="%(count)s items",
                context="list",
                strings=["%(count)s item", "%(count)s items"],
            ),
        ],
    )
    compile_catalogue(
        tmp_path, "ru", [Message(msgid="Permission denied.", strings=["Нет прав."])]
    )

    found = source_messages(tmp_path, "django")

    assert {key: message.plural for key, message in found.items()} == {
        (None, "Not found."): None,
        ("long month", "May"): None,
        ("list", "%(count)s item"): "%(count)s items",
    }


def test_a_library_whose_english_mo_file_is_empty_gives_the_others_messages(
    tmp_path,
):
    # msgfmt leaves out what is untranslated: an en catalogue whose translator
    # left every message empty compiles to the header alone.
    compile_catalogue(tmp_path, "en", [Message(msgid="Not found.", strings=[""])])
    compile_catalogue(
        tmp_path,
        "de",
        [
            Message(
                msgid="{count} item",
                plural="{count} items",
                strings=["{count} Eintrag", "{count} Einträge"],
            )
        ],
    )

    found = source_messages(tmp_path, "django")

    assert [(key, message.plural) for key, message in found.items()] == [
        ((None, "{count} item"), "{count} items")
    ]


def test_django_rest_frameworks_messages_are_read_from_its_mo_files():
    locale_dir = Path(rest_framework.__file__).parent / "locale"
    assert list(locale_dir.glob("*/LC_MESSAGES/django.po")) == []

    found = source_messages(locale_dir, "django")

    assert (None, "Authentication credentials were not provided.") in found
    assert (None, "Expected available in {wait} seconds.") in found
    assert (None, "Invalid cursor") in found


def test_a_librarys_ru_catalogue_behind_its_ru_RU_one_counts_as_translated():
    # Django REST framework's ru_RU has 36 of its messages; Django falls back to
    # its ru for the rest, which therefore need no translation of Hamkor's.
    translations = library_translations("ru", "django")

    assert translations[(None, "Authentication credentials were not provided.")] == [
        "Учетные данные не были предоставлены."
    ]
    assert translations[(None, "Not found.")] == ["Страница не найдена."]


# The interface in Uzbek -----------------------------------------------------

NAVBAR_ENGLISH = ["Organisations", "People", "Meetings", "Admin", "Log out"]
NAVBAR_UZBEK = ["Tashkilotlar", "Vakillar", "Uchrashuvlar", "Boshqaruv", "Chiqish"]


def compiled():
    """Fail, saying how to fix it, when a catalogue is newer than what was
    compiled from it: the pages would show stale (or English) text."""
    for directory in (own_dir(), libraries_dir()):
        for path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo = path.with_suffix(".mo")
            stale = f"{mo} is missing or older than its .po: run make compile"
            assert mo.exists(), stale
            assert mo.stat().st_mtime >= path.stat().st_mtime, stale


def visible_text(response):
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def uzbek_admin(admin_client):
    compiled()
    admin_client.post(reverse("language"), {"language": "uz", "next": "/"})
    return admin_client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/organisations/", "/meetings/"])
def test_pages_in_uzbek_say_the_navbar_in_uzbek(uzbek_admin, url):
    text = visible_text(uzbek_admin.get(url))

    assert [word for word in NAVBAR_UZBEK if word not in text] == []
    assert [word for word in NAVBAR_ENGLISH if re.search(rf"\b{word}\b", text)] == []


@pytest.mark.django_db
def test_the_admin_index_in_uzbek_has_no_english_of_djangos(uzbek_admin):
    text = visible_text(uzbek_admin.get(reverse("admin:index")))

    for uzbek in ["Tashkilotlar", "Uchrashuvlar", "Soʻnggi amallar", "Chiqish"]:
        assert uzbek in text
    for english in ["Recent actions", "Log out", "Add", "Change", "Organisations"]:
        assert not re.search(rf"\b{english}\b", text), english


@pytest.mark.django_db
def test_a_date_in_uzbek_is_written_with_a_lower_case_month(uzbek_admin):
    meeting = MeetingFactory(
        starts_at=timezone.make_aware(datetime.datetime(2025, 1, 29, 10, 30))
    )

    text = visible_text(uzbek_admin.get(reverse("meetings:detail", args=[meeting.pk])))

    assert "29-yanvar 2025, 10:30 – 12:30" in text


@pytest.mark.django_db
def test_the_seeded_organisation_types_are_named_in_uzbek_and_others_as_written(
    uzbek_admin,
):

    OrganisationType.objects.filter(slug="donor").update(name="Donors")
    text = visible_text(uzbek_admin.get("/"))

    assert "Vazirlik" in text
    assert "Ministry" not in text
    assert "Donors" in text


@pytest.mark.django_db
def test_the_russian_admin_names_its_models_after_a_colon(admin_client):
    # Django's own "Изменить %s" gives "Изменить встреча" (a noun left in the
    # nominative after the verb); locale/libraries/ru replaces it.
    compiled()
    admin_client.post(reverse("language"), {"language": "ru", "next": "/"})
    meeting = MeetingFactory()

    change = visible_text(
        admin_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    )
    listing = visible_text(
        admin_client.get(reverse("admin:meetings_meeting_changelist"))
    )

    assert "Изменение: встреча" in change
    assert "Изменить встреча" not in change
    assert "Выберите для изменения: встреча" in listing
    assert "Добавить: встреча" in listing

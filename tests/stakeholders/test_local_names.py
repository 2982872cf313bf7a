"""Organisations' names in the reader's language (issue 12, item 4): the lists,
detail pages and the home page show the current name recorded for the
interface language (uz reads the Uzbek Latin name, ru the Russian, en-gb the
English), with the official name beside it, and the official name alone where
none is recorded; the organisations export has both."""

import csv
import io

import pytest
from django.conf import settings
from django.utils.html import escape

from stakeholders.models import Organisation, OrganisationName, attach_local_names
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

Language = OrganisationName.Language
OFFICIAL = "Ministry of Health of the Republic of Uzbekistan"
NAMES = {
    "uz": "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi",
    "ru": "Министерство здравоохранения Республики Узбекистан",
    "en-gb": "Ministry of Health (Uzbekistan)",
}
OFFICIAL_LINE = {
    "uz": "Rasmiy nomi: ",
    "ru": "Официальное наименование: ",
    "en-gb": "Official name: ",
}


@pytest.fixture
def ministry():
    """The ministry with its name in each language, its Cyrillic Uzbek name
    and a former Russian one."""
    ministry = OrganisationFactory(name=OFFICIAL, acronym="")
    for language, name in [
        (Language.UZBEK_LATIN, NAMES["uz"]),
        (Language.UZBEK_CYRILLIC, "Ўзбекистон Республикаси Соғлиқни сақлаш вазирлиги"),
        (Language.RUSSIAN, NAMES["ru"]),
        (Language.ENGLISH, NAMES["en-gb"]),
    ]:
        OrganisationNameFactory(organisation=ministry, name=name, language=language)
    OrganisationNameFactory(
        organisation=ministry,
        name="Министерство здравоохранения Республики Узбекистан (старое)",
        language=Language.RUSSIAN,
        is_former=True,
    )
    return ministry


def reading(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["uz", "ru", "en-gb"])
def test_the_organisations_list_shows_the_readers_name_and_the_official_one(
    user_client, ministry, language
):
    content = page(reading(user_client, language), "/organisations/")

    assert f">{escape(NAMES[language])}</a>" in content
    assert escape(OFFICIAL_LINE[language] + OFFICIAL) in content


@pytest.mark.parametrize("language", ["uz", "ru", "en-gb"])
def test_without_a_name_in_the_readers_language_the_official_one_is_shown(
    user_client, language
):
    # Uzbek readers read the Latin script: a Cyrillic name is not theirs.
    other = {"uz": Language.UZBEK_CYRILLIC, "ru": Language.ENGLISH}
    organisation = OrganisationFactory(name="KfW Bank", acronym="")
    OrganisationNameFactory(
        organisation=organisation,
        name="Банк KfW",
        language=other.get(language, Language.RUSSIAN),
    )

    content = page(reading(user_client, language), "/organisations/")

    assert ">KfW Bank</a>" in content
    assert "Банк KfW" not in content
    assert OFFICIAL_LINE[language] not in content


def test_a_former_name_is_never_the_readers_name(user_client):
    organisation = OrganisationFactory(name="State Health Insurance Fund")
    OrganisationNameFactory(
        organisation=organisation,
        name="Фонд медицинского страхования",
        language=Language.RUSSIAN,
        is_former=True,
    )

    content = page(reading(user_client, "ru"), f"/organisations/{organisation.pk}/")

    assert "<h1" in content
    heading = content.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "State Health Insurance Fund" in heading
    assert "Официальное наименование" not in content


def test_a_former_name_recorded_first_does_not_hide_the_current_one(user_client):
    organisation = OrganisationFactory(name="Statistics Agency", acronym="")
    OrganisationNameFactory(
        organisation=organisation,
        name="Государственный комитет по статистике",
        language=Language.RUSSIAN,
        is_former=True,
    )
    OrganisationNameFactory(
        organisation=organisation,
        name="Агентство статистики",
        language=Language.RUSSIAN,
    )

    content = page(reading(user_client, "ru"), f"/organisations/{organisation.pk}/")

    heading = content.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "Агентство статистики" in heading
    assert "комитет" not in heading


def test_the_organisation_page_names_it_its_parent_and_children_for_the_reader(
    user_client, ministry
):
    child = OrganisationFactory(name="Republican Health Centre", parent=ministry)
    OrganisationNameFactory(
        organisation=child,
        name="Respublika sogʻliqni saqlash markazi",
        language="uz-latn",
    )

    own = page(reading(user_client, "uz"), f"/organisations/{ministry.pk}/")
    childs = page(user_client, f"/organisations/{child.pk}/")

    heading = own.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert escape(NAMES["uz"]) in heading
    assert escape(f"Rasmiy nomi: {OFFICIAL}") in own
    assert "Respublika sogʻliqni saqlash markazi</a>" in own
    # The parent, in the breadcrumbs and the "part of" line, official name as
    # its title.
    assert childs.count(f'title="{OFFICIAL}">{NAMES["uz"]}</a>') == 2


def test_the_meeting_page_names_host_initiators_and_attendees_for_the_reader(
    user_client, ministry
):
    meeting = MeetingFactory(host=ministry)
    meeting.initiators.add(ministry)
    AttendanceFactory(meeting=meeting, organisation=ministry, person=None)
    FollowUpFactory(meeting=meeting, owner_organisation=ministry)

    content = page(reading(user_client, "ru"), f"/meetings/{meeting.pk}/")

    # Host, initiator, attending organisation and the follow-up's owner (in
    # the table and in its line for narrow screens).
    assert content.count(f'title="{OFFICIAL}">{NAMES["ru"]}</a>') == 5


@pytest.mark.parametrize(
    "url", ["/meetings/", "/", "/people/", "/people/{person}/"], ids=str
)
def test_the_other_pages_name_the_organisations_for_the_reader(
    user_client, ministry, url
):
    meeting = MeetingFactory(host=ministry)
    position = PositionFactory(organisation=ministry, until=None)
    AttendanceFactory(meeting=meeting, organisation=ministry, person=position.person)

    content = page(reading(user_client, "uz"), url.format(person=position.person_id))

    assert f'title="{OFFICIAL}"' in content
    assert escape(NAMES["uz"]) in content


def test_the_lists_sort_by_the_official_name(user_client):
    # A, B by the official names; B, A by the Russian ones.
    first = OrganisationFactory(name="Agency A")
    second = OrganisationFactory(name="Bureau B")
    OrganisationNameFactory(organisation=first, name="Яблоко", language="ru")
    OrganisationNameFactory(organisation=second, name="Абрикос", language="ru")

    response = reading(user_client, "ru").get("/organisations/")

    assert [o.pk for o in response.context["object_list"]] == [first.pk, second.pk]


def test_the_names_cost_one_query_however_many_organisations(
    user_client, capture_queries
):
    def organisations(n):
        for organisation in OrganisationFactory.create_batch(n):
            OrganisationNameFactory(organisation=organisation, language="ru")
            OrganisationNameFactory(organisation=organisation, language="en")

    client = reading(user_client, "ru")
    organisations(2)
    client.get("/organisations/")  # the session's first queries aside
    with capture_queries() as few:
        client.get("/organisations/")
    organisations(30)
    with capture_queries() as many:
        response = client.get("/organisations/")

    assert len(response.context["object_list"]) == 32
    assert len(many) == len(few)
    assert sum('"stakeholders_organisationname"' in q for q in many.sql) == 1


@pytest.mark.parametrize(
    ("language", "header", "value"),
    [
        ("ru", "Наименование на русском языке", NAMES["ru"]),
        ("uz", "Oʻzbekcha nomi", NAMES["uz"]),
        ("en-gb", "Name in English", NAMES["en-gb"]),
    ],
)
def test_the_export_has_the_official_name_and_the_readers_one(
    user_client, ministry, language, header, value
):
    OrganisationFactory(name="Zeta fund")

    response = reading(user_client, language).get("/organisations/export.csv")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][1] == header
    assert [row[:2] for row in rows[1:]] == [[OFFICIAL, value], ["Zeta fund", ""]]


def test_attach_local_names_reads_the_active_language_and_costs_nothing_without_one(
    django_assert_num_queries, ministry
):
    organisation = Organisation.objects.get(pk=ministry.pk)
    with django_assert_num_queries(0):
        attach_local_names([organisation], language="de")
        attach_local_names([], language="ru")
    assert organisation.display_name == OFFICIAL

    with django_assert_num_queries(1):
        attach_local_names([organisation, organisation, None], language="ru")
    assert organisation.display_name == NAMES["ru"]

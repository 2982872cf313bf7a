"""The stakeholders admin as the data grows: changelists paged by key show the
right rows and totals, searches go through the models' own search, the
organisation page lists a big organisation's positions apart, and the
columns that would sort a whole big table are not sortable."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from stakeholders.models import Organisation
from tests.factories import (
    OrganisationFactory,
    OrganisationNameFactory,
    OrganisationTypeFactory,
    PersonFactory,
    PositionFactory,
)
from tests.stakeholders.test_admin import changelist, listed

pytestmark = pytest.mark.django_db


def names_in_random_order(prefix, n):
    """``n`` names created out of their order (by their reversed spelling),
    so that the list's order is not the order of the keys."""
    names = [f"{prefix} {i:03d}" for i in range(n)]
    return sorted(names, key=lambda name: name[::-1])


# Paging by key.


def test_each_page_of_a_long_list_shows_its_rows_in_order_and_the_total(
    admin_client,
):
    for name in names_in_random_order("Agency", 120):
        OrganisationFactory(name=name)
    expected = list(Organisation.objects.order_by("name", "pk").values_list("pk"))
    expected = [pk for (pk,) in expected]

    pages = [
        admin_client.get(changelist("organisation"), {"p": page}) for page in (1, 2, 3)
    ]

    assert [listed(response) for response in pages] == [
        expected[:50],
        expected[50:100],
        expected[100:],
    ]
    for response in pages:
        assert response.context["cl"].result_count == 120
        assert "120 organisations" in response.content.decode()


def test_a_searched_page_lists_only_the_matches_in_order(admin_client):
    for name in names_in_random_order("Health agency", 60):
        OrganisationFactory(name=name)
    OrganisationFactory.create_batch(30)
    matches = Organisation.objects.filter(name__startswith="Health").order_by("name")

    response = admin_client.get(changelist("organisation"), {"q": "HEALTH", "p": 2})

    assert listed(response) == [o.pk for o in matches[50:]]
    assert response.context["cl"].result_count == 60


def test_a_page_past_the_end_is_refused(admin_client):
    OrganisationFactory.create_batch(60)

    response = admin_client.get(changelist("organisation"), {"p": 3})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


@pytest.mark.parametrize("found", [2, 60])
def test_a_search_costs_the_same_queries_whatever_it_finds(
    admin_client, django_assert_num_queries, found
):
    for organisation in OrganisationFactory.create_batch(found):
        OrganisationNameFactory(organisation=organisation, name=f"Ҳамкор {found}")
    OrganisationFactory.create_batch(5)

    # session, user, type filter choices, count, page, country filter choices
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("organisation"), {"q": "ҳамкор"})

    assert response.context["cl"].result_count == found


# Columns.


def test_the_organisation_list_shows_the_country_by_name(admin_client):
    OrganisationFactory(country="DE")
    OrganisationFactory(country="")

    html = admin_client.get(changelist("organisation")).content.decode()

    assert '<td class="field-country_name">Germany</td>' in html
    assert '<td class="field-country_name">-</td>' in html


def test_positions_are_listed_latest_recorded_first(admin_client):
    positions = [
        PositionFactory(organisation=OrganisationFactory(name=name))
        for name in ("Bank", "Agency", "Council")
    ]

    response = admin_client.get(changelist("position"))

    assert listed(response) == [p.pk for p in reversed(positions)]


def test_positions_are_not_sorted_by_organisation_even_when_asked(admin_client):
    positions = [
        PositionFactory(organisation=OrganisationFactory(name=name))
        for name in ("Bank", "Agency", "Council")
    ]

    # Column 3 is the organisation (0 is the action checkbox).
    response = admin_client.get(changelist("position"), {"o": "3"})

    assert listed(response) == [p.pk for p in reversed(positions)]
    # Its header has no sort link; the dates' do.
    html = response.content.decode()
    assert '<div class="text"><span>Organisation</span></div>' in html
    assert '">From</a></div>' in html


def test_the_ended_filter_lists_positions_ended_or_not_yet_begun(admin_client):
    today = datetime.date.today()
    ended = PositionFactory(since=None, until=today - datetime.timedelta(days=1))
    to_come = PositionFactory(since=today + datetime.timedelta(days=1), until=None)
    PositionFactory(since=None, until=None)
    PositionFactory(since=today, until=today)

    response = admin_client.get(changelist("position"), {"current": "no"})

    assert sorted(listed(response)) == sorted([ended.pk, to_come.pk])


# People.


def test_person_search_ignores_case_in_any_script(admin_client):
    aziza = PersonFactory(full_name="Азиза Каримова")
    PersonFactory(full_name="Тимур Рашидов")

    response = admin_client.get(changelist("person"), {"q": "КАРИМОВА"})

    assert listed(response) == [aziza.pk]


def test_people_are_listed_by_name(admin_client):
    for name in names_in_random_order("Person", 12):
        PersonFactory(full_name=name)

    response = admin_client.get(changelist("person"))

    names = [person.full_name for person in response.context["cl"].result_list]
    assert names == sorted(names)


# The organisation page of a big organisation.


@pytest.fixture
def position_limit(monkeypatch):
    monkeypatch.setattr(admin.site._registry[Organisation], "position_inline_limit", 3)


def organisation_change(organisation):
    return reverse("admin:stakeholders_organisation_change", args=[organisation.pk])


def test_an_organisation_with_more_positions_than_the_limit_links_to_them(
    admin_client, position_limit
):
    organisation = OrganisationFactory()
    positions = PositionFactory.create_batch(4, organisation=organisation)
    PositionFactory()  # elsewhere

    response = admin_client.get(organisation_change(organisation))

    html = response.content.decode()
    assert 'name="positions-TOTAL_FORMS"' not in html
    assert "This organisation has 4 positions" in html
    link = f"{changelist('position')}?organisation__id__exact={organisation.pk}"
    assert link in html
    assert sorted(listed(admin_client.get(link))) == sorted(p.pk for p in positions)


def test_an_organisation_within_the_limit_edits_its_positions_inline(
    admin_client, position_limit
):
    organisation = OrganisationFactory()
    PositionFactory.create_batch(3, organisation=organisation)

    html = admin_client.get(organisation_change(organisation)).content.decode()

    assert 'name="positions-TOTAL_FORMS" value="3"' in html
    assert "See and edit them in the position list." not in html


@pytest.mark.parametrize("n", [4, 40])
def test_a_big_organisation_page_costs_the_same_queries_whatever_its_positions(
    admin_client, django_assert_num_queries, position_limit, n
):
    parent = OrganisationFactory(name="Cabinet of Ministers")
    organisation = OrganisationFactory(
        parent=parent, type=OrganisationTypeFactory(name="Line ministry")
    )
    PositionFactory.create_batch(n, organisation=organisation)
    url = organisation_change(organisation)
    admin_client.get(url)  # fills the content-type cache, once per process

    # session, user, organisation with its type and parent, its position
    # count, other names, identifiers
    with django_assert_num_queries(6):
        response = admin_client.get(url)

    # The type and parent widgets show their choice without a query each.
    html = response.content.decode()
    assert f'<option value="{parent.pk}" selected>{parent}</option>' in html
    assert (
        f'<option value="{organisation.type_id}" selected>Line ministry</option>'
        in (html)
    )


# Access.


@pytest.mark.parametrize(
    "url",
    [
        lambda o: changelist("organisation") + "?q=health&p=1",
        lambda o: changelist("position") + f"?organisation__id__exact={o.pk}",
        organisation_change,
    ],
    ids=["organisation search", "positions of an organisation", "organisation"],
)
def test_the_pages_are_closed_to_anonymous_visitors_and_viewers(assert_admin_only, url):
    assert_admin_only(url(OrganisationFactory()))

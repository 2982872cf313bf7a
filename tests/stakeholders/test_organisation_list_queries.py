"""The organisations list's queries: a fixed number whatever the rows, the
filter run once, and a filter matching many rows counted only so far."""

import itertools

import factory
import pytest
from django.db import connection

from core import paginators
from core import views as core_views
from stakeholders import views
from stakeholders.models import Organisation
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
)
from tests.stakeholders.test_organisation_list import LIST, listed, of_type

pytestmark = pytest.mark.django_db


# Queries


NUMBERS = itertools.count(1)


def make_organisations(n, meetings):
    """``n`` donors, each part of its own umbrella organisation (listed after
    them), with two other names and attendance at both ``meetings``."""
    donor = of_type("donor")
    organisations = []
    for number in itertools.islice(NUMBERS, n):
        umbrella = OrganisationFactory(
            name=f"Umbrella {number:03}", type=of_type("international-organisation")
        )
        organisation = OrganisationFactory(
            name=f"Partner {number:03}", type=donor, parent=umbrella
        )
        OrganisationNameFactory.create_batch(2, organisation=organisation)
        for meeting in meetings:
            AttendanceFactory(meeting=meeting, organisation=organisation, person=None)
        organisations.append(organisation)
    return organisations


def test_the_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    meetings = MeetingFactory.create_batch(2, host=None)
    first = make_organisations(2, meetings)
    # session, user, count, type choices, page, + the organisations' names in
    # the reader's language (attach_local_names)
    with django_assert_num_queries(6):
        response = admin_client.get(LIST)
    assert listed(response)[:2] == [o.name for o in first]
    assert first[0].parent.name in response.content.decode()

    more = make_organisations(48, meetings)
    # session, user, count, type choices, page, + the organisations' names in
    # the reader's language (attach_local_names)
    with django_assert_num_queries(6):
        response = admin_client.get(LIST)
    assert listed(response) == [o.name for o in first + more]
    content = response.content.decode()
    assert more[-1].parent.name in content
    assert content.count("Donor / development bank") >= 50


def test_the_filtered_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    meetings = MeetingFactory.create_batch(2, host=None)
    query = {"type": "donor", "attended": meetings[0].pk}
    first = make_organisations(2, meetings)
    # session, user, types of the filter, meeting of the filter, count,
    # type choices, page
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, query)
    assert listed(response) == [o.name for o in first]

    more = make_organisations(48, meetings)
    # session, user, types of the filter, meeting of the filter, count,
    # type choices, page
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, query)
    assert listed(response) == [o.name for o in first + more]


# Counting a filter matching many rows.


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2 rows, counted up to 4 rows or ten pages past the one asked."""
    monkeypatch.setattr(views.OrganisationListView, "paginate_by", 2)
    monkeypatch.setattr(
        core_views,
        "count_limit_for",
        lambda page, per_page: paginators.count_limit_for(page, per_page, minimum=4),
    )


def test_a_filter_matching_more_than_the_limit_says_more_than(
    admin_client, small_pages
):
    OrganisationFactory.create_batch(25, type=of_type("donor"))

    response = admin_client.get(LIST, {"type": "donor"})

    # Page 1 of 2 rows: counted up to ten pages past it, 22 rows.
    assert response.context["paginator"].count == 22
    assert "More than 22 results" in response.content.decode()
    assert len(listed(response)) == 2


def test_a_deep_page_counts_further_and_reaches_the_last_row(admin_client, small_pages):
    OrganisationFactory.create_batch(25, type=of_type("donor"))
    names = sorted(Organisation.objects.values_list("name", flat=True))

    response = admin_client.get(LIST, {"type": "donor", "page": 13})

    assert response.context["paginator"].count == 25
    assert "25 results" in response.content.decode()
    assert "More than" not in response.content.decode()
    assert listed(response) == names[24:]


def test_an_unfiltered_list_is_counted_exactly(admin_client, small_pages):
    OrganisationFactory.create_batch(25)

    response = admin_client.get(LIST)

    assert response.context["paginator"].count == 25
    assert "25 results" in response.content.decode()


def test_a_filtered_page_runs_the_filter_once(
    admin_client, small_pages, capture_queries
):
    OrganisationFactory.create_batch(7, name=factory.Sequence(lambda n: f"Health {n}"))
    names = sorted(Organisation.objects.values_list("name", flat=True))

    with capture_queries() as queries:
        response = admin_client.get(LIST, {"q": "health", "page": 2})

    # The count and the page come from one read of the matching keys; the
    # page's rows are then read by key.
    searches = [sql for sql in queries.sql if "health" in sql]
    assert len(searches) == 1
    assert listed(response) == names[2:4]
    assert response.context["paginator"].count == 7


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="server-side cursors: PostgreSQL's",
)
def test_the_filter_s_types_are_read_without_a_cursor(user_client, capture_queries):
    """The type checkboxes' choices come in one query, not through a cursor
    held across transactions (DISABLE_SERVER_SIDE_CURSORS, on by default on
    PostgreSQL): three round trips fewer, and nothing that a PgBouncer in
    transaction pooling would lose (docs/operations.md)."""
    OrganisationFactory.create_batch(2, type=of_type("donor"))

    with capture_queries() as queries:
        response = user_client.get(LIST, {"type": "donor"})

    assert response.status_code == 200
    assert [sql for sql in queries.sql if sql.startswith("DECLARE")] == []

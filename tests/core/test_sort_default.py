"""Every list says how it is sorted when no ``sort`` is asked: its sort
select shows the list's own order chosen (it showed "---------"), and that
column's header its arrow. The order shown is the order the rows are in."""

import datetime
import re

import pytest
from django.utils import timezone

from tests.factories import (
    AssessmentFactory,
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

# path, the list's own order as a sort value, another order.
LISTS = [
    ("/organisations/", "name", "-name"),
    ("/people/", "name", "-name"),
    ("/meetings/", "-date", "date"),
    ("/follow-ups/", "due", "-due"),
    ("/attendance/", "-date", "date"),
    ("/map/", "organisation", "-organisation"),
]


@pytest.fixture
def rows():
    """Records made in an order that none of the lists' orders follows."""
    organisations = [
        OrganisationFactory(name=name) for name in ("Mirzo", "Anor", "Zarafshon")
    ]
    for name in ("Oybek Nazarov", "Aziza Karimova", "Timur Saidov"):
        PersonFactory(full_name=name)
    for days, organisation in zip((40, 10, 90), organisations, strict=True):
        meeting = MeetingFactory(
            starts_at=timezone.make_aware(datetime.datetime(2025, 1, 1, 10))
            + datetime.timedelta(days=days)
        )
        AttendanceFactory(meeting=meeting, organisation=organisation)
        FollowUpFactory(
            meeting=meeting,
            owner_organisation=organisation,
            due_on=datetime.date(2025, 6, 1) - datetime.timedelta(days=days),
        )
        AssessmentFactory(organisation=organisation)


def shown(response):
    return [row.pk for row in response.context["object_list"]]


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize(("path", "default", "other"), LISTS)
def test_the_rows_are_in_the_order_the_list_says_it_has(
    admin_client, path, default, other
):
    plain = shown(admin_client.get(path))

    assert len(plain) >= 3
    assert plain == shown(admin_client.get(path, {"sort": default}))
    # The data can tell the orders apart.
    assert plain != shown(admin_client.get(path, {"sort": other}))


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize(("path", "default", "other"), LISTS)
def test_the_sort_select_shows_the_lists_own_order(admin_client, path, default, other):
    page = admin_client.get(path).content.decode()
    select = re.search(r'<select name="sort".*?</select>', page, re.S).group(0)

    assert re.findall(r'<option value="([^"]*)"[^>]* selected>', select) == [default]
    assert 'value=""' not in select
    assert "---------" not in select
    # Asked for another, it shows that one.
    select = re.search(
        r'<select name="sort".*?</select>',
        admin_client.get(path, {"sort": other}).content.decode(),
        re.S,
    ).group(0)
    assert re.findall(r'<option value="([^"]*)"[^>]* selected>', select) == [other]


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize(("path", "default", "other"), LISTS)
def test_the_default_orders_column_shows_its_arrow(admin_client, path, default, other):
    page = admin_client.get(path).content.decode()
    key = default.lstrip("-")
    direction = "descending" if default.startswith("-") else "ascending"

    headers = re.findall(r'<th [^>]*aria-sort="(\w+)"[^>]*>\s*<a href="([^"]*)"', page)
    # The link of the sorted column reverses it.
    reverse = key if default.startswith("-") else f"-{key}"
    assert headers == [(direction, f"?sort={reverse}")]

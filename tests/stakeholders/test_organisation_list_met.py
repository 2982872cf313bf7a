"""The organisations list's filters of the start page's dormant partners:
``last_met_before`` (met, but not since a local day) and ``met`` (ever or
never), each with a row that matches and one that does not, shown in the
filter panel, and a bad value as a 400 naming the field."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest

from tests.factories import AttendanceFactory, MeetingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

LIST = "/organisations/"
TASHKENT = ZoneInfo("Asia/Tashkent")


def met_at(name, *when):
    organisation = OrganisationFactory(name=name)
    AttendanceFactory(
        meeting=MeetingFactory(
            starts_at=datetime.datetime(*when, tzinfo=TASHKENT), host=None
        ),
        organisation=organisation,
        person=None,
    )
    return organisation


def listed(response):
    assert response.status_code == 200
    return {organisation.name for organisation in response.context["object_list"]}


@pytest.fixture
def organisations():
    met_at("Met on 31 May late", 2026, 5, 31, 23, 30)
    met_at("Met on 1 June early", 2026, 6, 1, 0, 30)
    OrganisationFactory(name="Never met")


def test_last_met_before_lists_those_met_before_the_local_day(
    admin_client, organisations
):
    # 23:30 on 31 May in Tashkent is 18:30 UTC; 00:30 on 1 June is 19:30 UTC
    # on 31 May: the local day decides.
    assert listed(admin_client.get(LIST, {"last_met_before": "2026-06-01"})) == {
        "Met on 31 May late"
    }
    assert listed(admin_client.get(LIST, {"last_met_before": "2026-06-02"})) == {
        "Met on 31 May late",
        "Met on 1 June early",
    }
    assert listed(admin_client.get(LIST, {"last_met_before": "2026-05-31"})) == set()


def test_met_never_and_ever(admin_client, organisations):
    assert listed(admin_client.get(LIST, {"met": "never"})) == {"Never met"}
    assert listed(admin_client.get(LIST, {"met": "ever"})) == {
        "Met on 31 May late",
        "Met on 1 June early",
    }


def test_the_filter_panel_offers_both(admin_client):
    content = admin_client.get(LIST).content.decode()

    assert '<label class="form-label" for="id_last_met_before">Last met before' in (
        content
    )
    assert '<label class="form-label" for="id_met">Ever met' in content
    assert '<option value="never">Never met</option>' in content


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"last_met_before": "2026-02-30"}, "last_met_before", "Last met before"),
        ({"last_met_before": "soon"}, "last_met_before", "Last met before"),
        ({"met": "sometimes"}, "met", "Ever met"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field(
    admin_client, organisations, query, field, label
):
    response = admin_client.get(LIST, query)

    assert response.status_code == 400
    error = re.search(
        rf'id="id_{field}_error">([^<]*)</div>', response.content.decode()
    )
    assert error
    assert error.group(1).startswith(f"{label}: ")
    assert list(response.context["object_list"]) == []

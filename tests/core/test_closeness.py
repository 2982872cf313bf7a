"""What a picker suggests first: the records a field of which is the typed
term (a name, an acronym, another name), then those where one begins with
it, then the rest, in any script (``core.search.closeness``). Before, the
ten suggestions were the first ten matches by name, and an acronym typed
whole could be missing from them."""

import pytest
from django.urls import reverse

from core.search import INSIDE, START, WHOLE
from meetings.models import Topic
from stakeholders.models import Organisation, Person
from tests.factories import (
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db


def suggested(client, url, term, **params):
    response = client.get(url, {"q": term, **params})
    assert response.status_code == 200
    return [result["label"] for result in response.json()["results"]]


@pytest.fixture
def who():
    """WHO, whose Russian acronym is "ВОЗ", and twelve ministries sorting
    before it whose Russian names have "воз" inside ("Министерство
    здравоохранения": "...stvozdrav...")."""
    for n in range(12):
        OrganisationNameFactory(
            organisation__name=f"Ministry {n:02}",
            organisation__acronym="",
            name=f"Министерство здравоохранения {n:02}",
            language="ru",
        )
    return OrganisationNameFactory(
        organisation__name="World Health Organization",
        organisation__acronym="WHO",
        name="ВОЗ",
        language="ru",
    ).organisation


def test_an_acronym_typed_whole_comes_first_however_many_names_it_is_inside(
    admin_client, who
):
    found = suggested(admin_client, reverse("organisations:suggest"), "ВОЗ")

    assert len(found) == 10
    assert found[0] == "World Health Organization (WHO)"


def test_the_same_in_another_script_and_from_the_admin_autocomplete(admin_client, who):
    assert suggested(admin_client, reverse("organisations:suggest"), "voz")[0] == (
        "World Health Organization (WHO)"
    )
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "meetings",
            "model_name": "attendance",
            "field_name": "organisation",
            "term": "ВОЗ",
        },
    )
    assert response.status_code == 200
    assert int(response.json()["results"][0]["id"]) == who.pk


def test_whole_then_beginning_then_inside_each_in_the_list_order(admin_client):
    OrganisationFactory(name="Agency for Health", acronym="")
    OrganisationFactory(name="Health Fund", acronym="")
    OrganisationFactory(name="Health Fund (closed)", acronym="", is_active=False)
    OrganisationFactory(name="Zeta Organisation", acronym="HEALTH")
    OrganisationFactory(name="Other", acronym="")

    found = suggested(admin_client, reverse("organisations:suggest"), "health")

    assert found == [
        "Zeta Organisation (HEALTH)",
        "Health Fund",
        "Health Fund (closed)",
        "Agency for Health",
    ]


def test_closeness_reads_every_field_and_other_name():
    zeta = OrganisationFactory(name="Zeta Organisation", acronym="HEALTH")
    fund = OrganisationFactory(name="Fund", acronym="")
    OrganisationNameFactory(organisation=fund, name="Health Fund", language="en")
    agency = OrganisationFactory(name="Agency for Health", acronym="")
    queryset = Organisation.objects.search("Health")

    ranks = dict(
        queryset.annotate(rank=queryset.closeness("Health")).values_list("pk", "rank")
    )

    assert ranks == {zeta.pk: WHOLE, fund.pk: START, agency.pk: INSIDE}


def test_closeness_of_a_term_with_no_letter_sorts_nothing_apart():
    PersonFactory(full_name="Aziz Karimov")

    queryset = Person.objects.all()

    assert list(
        queryset.annotate(rank=queryset.closeness("--")).values_list("rank", flat=True)
    ) == [INSIDE]


def test_a_name_begun_comes_before_one_that_has_it_inside(admin_client):
    PersonFactory(full_name="Abdulaziz Karimov", email="")
    PersonFactory(full_name="Aziz Rahimov", email="")

    found = suggested(admin_client, reverse("people:suggest"), "Азиз")

    assert found == ["Aziz Rahimov", "Abdulaziz Karimov"]


def test_the_organisations_people_stay_first_when_recording_its_row(admin_client):
    giz = OrganisationFactory(name="GIZ", acronym="")
    PositionFactory(person__full_name="Abdulaziz Karimov", organisation=giz)
    PersonFactory(full_name="Aziz Rahimov", email="")
    PersonFactory(full_name="Aziz", email="")

    found = suggested(
        admin_client, reverse("people:suggest"), "aziz", organisation=giz.pk
    )

    assert found == ["Abdulaziz Karimov · GIZ", "Aziz", "Aziz Rahimov"]


def test_a_topic_named_whole_comes_first(admin_client):
    Topic.objects.create(name="Audit of the EHR")
    Topic.objects.create(name="EHR")
    Topic.objects.create(name="EHR rollout")

    found = suggested(admin_client, reverse("meetings:topic_suggest"), "ehr")

    assert found == ["EHR", "EHR rollout", "Audit of the EHR"]


def test_meetings_keep_the_newest_first(admin_client):
    """A meeting is looked for by when it took place: its title typed whole
    does not move it before newer ones."""
    old = MeetingFactory(title="Steering committee")
    new = MeetingFactory(title="Quarterly steering committee")

    response = admin_client.get(reverse("meetings:suggest"), {"q": "steering"})

    assert [r["id"] for r in response.json()["results"]] == [new.pk, old.pk]


@pytest.mark.parametrize(
    ("url", "term"),
    [
        ("organisations:suggest", "воз"),
        ("people:suggest", "aziz"),
        ("meetings:topic_suggest", "ehr"),
    ],
)
def test_ordering_by_closeness_costs_no_query(
    admin_client, django_assert_num_queries, who, url, term
):
    PersonFactory.create_batch(3, full_name="Aziz Karimov")
    for n in range(3):
        Topic.objects.create(name=f"EHR {n}")
    admin_client.get(reverse(url), {"q": term})

    # The session, the user and the matches.
    with django_assert_num_queries(3):
        admin_client.get(reverse(url), {"q": term})


def test_a_term_too_short_for_the_index_is_listed_in_the_pickers_order(admin_client):
    """Two letters are looked for in every row and find a large share of
    them: ranking them all is not worth it (docs/search.md)."""
    OrganisationFactory(name="Agency UN", acronym="")
    OrganisationFactory(name="United Nations", acronym="UN")

    found = suggested(admin_client, reverse("organisations:suggest"), "un")

    assert found == ["Agency UN", "United Nations (UN)"]


def test_a_name_with_two_readings_of_a_c_is_whole_in_either():
    """ "Uzinfocom" is stored as "uzinfokom" and "uzinfosom", a line each."""
    uzinfocom = OrganisationFactory(name="Uzinfocom", acronym="")
    queryset = Organisation.objects.all()

    for term in ("Узинфоком", "uzinfosom", "Uzinfocom"):
        ranks = queryset.annotate(rank=queryset.closeness(term))
        assert ranks.get(pk=uzinfocom.pk).rank == WHOLE, term
    ranks = queryset.annotate(rank=queryset.closeness("uzinfo"))
    assert ranks.get(pk=uzinfocom.pk).rank == START

"""The admin's list of possible duplicates: what an editor sees, the
"not a duplicate" action, the score filter, what a viewer is refused, and a
fixed number of queries whatever the number of pairs."""

import pytest
from django.urls import reverse

from duplicates.models import OrganisationPair, PersonPair
from tests.factories import (
    OrganisationFactory,
    OrganisationPairFactory,
    PersonPairFactory,
)

pytestmark = pytest.mark.django_db

ORGANISATIONS = reverse("admin:duplicates_organisationpair_changelist")
PEOPLE = reverse("admin:duplicates_personpair_changelist")


@pytest.fixture
def editor_client(client, django_user_model, role):
    user = django_user_model.objects.create_user("steward", password="x")
    user.groups.add(role("editor"))
    client.force_login(user)
    client.user = user
    return client


def test_an_editor_sees_both_records_their_links_the_score_and_the_reasons(
    editor_client,
):
    pair = OrganisationPairFactory(score=87, reasons=["acronym", "email"])

    page = editor_client.get(ORGANISATIONS).content.decode()

    assert "Uzinfocom" in page
    assert "Узинфоком" in page
    assert reverse("organisations:detail", args=[pair.second.pk]) in page
    assert "an acronym is the other&#x27;s name; same email" in page
    assert ">87<" in page


def test_the_reasons_are_in_the_readers_language(editor_client):
    OrganisationPairFactory(reasons=["same_name"])

    page = editor_client.get(
        ORGANISATIONS, headers={"accept-language": "ru"}
    ).content.decode()

    assert "то же имя или название в любом алфавите" in page


def test_a_pair_marked_not_a_duplicate_leaves_the_list_and_records_who(
    editor_client,
):
    pair, kept = (
        OrganisationPairFactory(),
        OrganisationPairFactory(
            first=OrganisationFactory(name="Ministry of Health"),
            second=OrganisationFactory(name="Ministry of Helth"),
        ),
    )

    response = editor_client.post(
        ORGANISATIONS,
        {"action": "dismiss", "_selected_action": [pair.pk]},
        follow=True,
    )

    assert "1 pair marked not a duplicate" in response.content.decode()
    pair.refresh_from_db()
    assert pair.dismissed_by == editor_client.user
    assert list(response.context["cl"].result_list) == [kept]
    dismissed = editor_client.get(ORGANISATIONS, {"review": "dismissed"})
    assert list(dismissed.context["cl"].result_list) == [pair]


def test_the_score_filter_keeps_its_band(editor_client):
    likely = PersonPairFactory(score=80)
    PersonPairFactory(score=95)

    response = editor_client.get(PEOPLE, {"score": "75"})

    assert list(response.context["cl"].result_list) == [likely]


def test_an_unknown_filter_value_is_refused_as_the_admin_refuses_any(editor_client):
    OrganisationPairFactory()

    response = editor_client.get(ORGANISATIONS, {"first__id__gt": "nonsense"})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_a_viewer_cannot_open_the_list(client, viewer):
    client.force_login(viewer)
    assert client.get(ORGANISATIONS).status_code in (302, 403)
    assert client.post(ORGANISATIONS, {"action": "dismiss"}).status_code in (302, 403)


def test_nobody_adds_or_deletes_a_pair(admin_client):
    pair = PersonPairFactory()
    assert (
        admin_client.get(reverse("admin:duplicates_personpair_add")).status_code == 403
    )
    delete = reverse("admin:duplicates_personpair_delete", args=[pair.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert PersonPair.objects.filter(pk=pair.pk).exists()


@pytest.mark.parametrize("n", [1, 30])
def test_the_list_costs_the_same_queries_whatever_the_number_of_pairs(
    editor_client, django_assert_num_queries, n
):
    for index in range(n):
        OrganisationPairFactory(
            first=OrganisationFactory(name=f"Agency {index}"),
            second=OrganisationFactory(name=f"Agensy {index}"),
        )

    # session, user with its permissions, the page's keys (counted with
    # them, core.paginators), the page with both organisations joined
    with django_assert_num_queries(4):
        response = editor_client.get(ORGANISATIONS)

    assert len(response.context["cl"].result_list) == n
    assert OrganisationPair.objects.count() == n

"""The search-as-you-type endpoint of the organisation picker
(/organisations/suggest/): by acronym or other name, by id, at most ten."""

import factory
import pytest

from meetings.services import demo_load
from tests.factories import (
    OrganisationFactory,
    OrganisationNameFactory,
)
from tests.stakeholders.test_organisation_list import LIST

pytestmark = pytest.mark.django_db


# Suggest (the organisation picker)


SUGGEST = LIST + "suggest/"


def test_suggest_finds_an_organisation_by_acronym(admin_client):
    demo_load()

    response = admin_client.get(SUGGEST, {"q": "uz"})

    assert response.status_code == 200
    labels = [r["label"] for r in response.json()["results"]]
    assert (
        "Unified Integrator for the Development and Support of State Information "
        "Systems (UZINFOCOM)" in labels
    )
    assert not any("KfW" in label for label in labels)


def test_suggest_finds_an_organisation_by_other_name(admin_client):
    kfw = OrganisationFactory(name="KfW Bank", acronym="KfW")
    OrganisationNameFactory(organisation=kfw, name="Kreditanstalt für Wiederaufbau")
    OrganisationFactory(name="GIZ")

    response = admin_client.get(SUGGEST, {"q": "kreditanstalt"})

    assert response.json() == {"results": [{"id": kfw.pk, "label": "KfW Bank (KfW)"}]}


@pytest.mark.parametrize("q", ["u", " u ", ""])
def test_suggest_answers_nothing_to_less_than_two_characters(admin_client, q):
    OrganisationFactory(name="UZINFOCOM", acronym="")

    response = admin_client.get(SUGGEST, {"q": q})

    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_suggest_gives_the_label_of_an_id(admin_client):
    kfw = OrganisationFactory(name="KfW Bank", acronym="KfW")
    OrganisationFactory(name="GIZ")

    response = admin_client.get(SUGGEST, {"id": kfw.pk})

    assert response.json() == {"results": [{"id": kfw.pk, "label": "KfW Bank (KfW)"}]}


def test_suggest_answers_an_unknown_id_with_no_results(admin_client):
    response = admin_client.get(SUGGEST, {"id": "999999"})

    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_suggest_rejects_an_id_that_is_not_a_number(admin_client):
    response = admin_client.get(SUGGEST, {"id": "abc"})

    assert response.status_code == 400
    assert "id" in response.json()["error"]


def test_suggest_gives_at_most_ten_active_first(admin_client):
    OrganisationFactory(name="Health partner (closed)", is_active=False)
    OrganisationFactory.create_batch(
        11, name=factory.Sequence(lambda n: f"Health partner {n:03}")
    )

    response = admin_client.get(SUGGEST, {"q": "health"})

    results = response.json()["results"]
    assert len(results) == 10
    assert all("closed" not in r["label"] for r in results)

"""Search across scripts and spellings (issue 12) where a user types the name
of an organisation or a person: the organisations and people lists' ``q``,
their admin searches and autocompletes, the pickers' suggest endpoints. The
rules themselves are tests/core/test_search_key.py's."""

import pytest
from django.urls import reverse

from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.factories import (
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    """The founding meeting's organisations: UZINFOCOM by its acronym alone,
    WHO and the Ministry of Health with their Uzbek and Russian names."""
    demo_load()
    return {
        "uzinfocom": Organisation.objects.get(acronym="UZINFOCOM"),
        "who": Organisation.objects.get(acronym="WHO", parent=None),
        "health": Organisation.objects.get(
            name="Ministry of Health of the Republic of Uzbekistan"
        ),
    }


def listed(response):
    assert response.status_code == 200
    return {row.pk for row in response.context["object_list"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # The issue's own tries, which found nothing before it.
        ("Узинфоком", {"uzinfocom"}),
        ("Uzinfokom", {"uzinfocom"}),
        ("uzinfocom", {"uzinfocom"}),
        ("Sog'liqni", {"who", "health"}),
        ("Sogʻliqni saqlash vazirligi", {"health"}),
        ("СОҒЛИҚНИ САҚЛАШ ВАЗИРЛИГИ", {"health"}),
        ("Ozbekiston Respublikasi", {"health"}),
        ("здравоохранения", {"who", "health"}),
        ("Zdravookhraneniya", {"who", "health"}),
        ("zdravoohraneniya", {"who", "health"}),
    ],
)
def test_the_organisations_list_finds_every_spelling(admin_client, demo, q, expected):
    found = listed(admin_client.get("/organisations/", {"q": q}))

    assert {demo[name].pk for name in expected} <= found
    others = {key for key in demo if key not in expected}
    assert not {demo[name].pk for name in others} & found


@pytest.mark.parametrize(
    ("q", "expected"),
    [("Узинфоком", "uzinfocom"), ("Uzinfokom", "uzinfocom"), ("Sog'liqni", "health")],
)
def test_the_admin_search_finds_every_spelling(admin_client, demo, q, expected):
    url = reverse("admin:stakeholders_organisation_changelist")

    response = admin_client.get(url, {"q": q})

    assert response.status_code == 200
    assert demo[expected] in response.context["cl"].result_list
    assert demo["uzinfocom" if expected == "health" else "health"] not in (
        response.context["cl"].result_list
    )


def suggested(client, url, term, **params):
    response = client.get(url, {"q": term, **params})
    assert response.status_code == 200
    return [result["label"] for result in response.json()["results"]]


def test_the_organisation_picker_finds_every_spelling(admin_client, demo):
    url = reverse("organisations:suggest")

    assert suggested(admin_client, url, "Узинфоком") == [str(demo["uzinfocom"])]
    assert str(demo["health"]) in suggested(admin_client, url, "sogʻliqni saqlash")
    assert str(demo["health"]) in suggested(admin_client, url, "Соғлиқни сақлаш")


def test_the_organisation_picker_still_answers_a_viewer_and_refuses_a_stranger(
    client, user_client, demo
):
    url = reverse("organisations:suggest")

    assert suggested(user_client, url, "Uzinfokom") == [str(demo["uzinfocom"])]
    user_client.logout()
    assert client.get(url, {"q": "Uzinfokom"}).status_code == 302


def test_the_organisation_picker_refuses_a_term_with_a_nul(admin_client):
    response = admin_client.get(reverse("organisations:suggest"), {"q": "uz\x00inf"})

    assert response.status_code == 400
    assert "q" in response.json()["error"]


@pytest.fixture
def people():
    return {
        "khasanov": PersonFactory(full_name="Timur Khasanov", email=""),
        "kuznetsova": PersonFactory(
            full_name="Кузнецова Юлия", email="iu.kuznetsova@who.int"
        ),
        "djuraev": PersonFactory(full_name="Джураев Азиз", email=""),
        "karimova": PersonFactory(
            full_name="Aziza Karimova", email="a.karimova@who.int"
        ),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Хасанов", {"khasanov"}),
        ("Xasanov", {"khasanov"}),
        ("hasanov", {"khasanov"}),
        ("Kuznecova", {"kuznetsova"}),
        ("Iuliia", {"kuznetsova"}),
        ("Yuliya", {"kuznetsova"}),
        ("Dzhuraev", {"djuraev"}),
        ("Juraev", {"djuraev"}),
        ("Azi", {"djuraev", "karimova"}),
        ("Карим", {"karimova"}),
        ("karimova@who", {"karimova"}),
    ],
)
def test_the_people_list_finds_every_spelling(admin_client, people, q, expected):
    found = listed(admin_client.get("/people/", {"q": q}))

    assert found == {people[name].pk for name in expected}


def test_the_people_picker_and_the_admin_autocomplete_find_every_spelling(
    admin_client, people
):
    assert suggested(admin_client, reverse("people:suggest"), "Xasanov") == [
        "Timur Khasanov"
    ]
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "meetings",
            "model_name": "attendance",
            "field_name": "person",
            "term": "Джураев",
        },
    )
    assert [int(r["id"]) for r in response.json()["results"]] == [people["djuraev"].pk]


def test_the_organisation_autocomplete_finds_an_other_name_in_another_script(
    admin_client,
):
    kfw = OrganisationNameFactory(
        name="Банк развития KfW", organisation__name="KfW Development Bank"
    ).organisation
    OrganisationFactory(name="Asian Development Bank", acronym="ADB")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "meetings",
            "model_name": "attendance",
            "field_name": "organisation",
            "term": "razvitiya",
        },
    )

    assert [int(r["id"]) for r in response.json()["results"]] == [kfw.pk]


def test_the_other_names_and_positions_admin_searches_read_both_scripts(
    admin_client, people
):
    other = OrganisationNameFactory(name="Оʻзбекистон Соғлиқни сақлаш вазирлиги")
    OrganisationNameFactory(name="Moliya vazirligi")
    position = PositionFactory(person=people["khasanov"], title="Adviser")
    PositionFactory(person=people["karimova"], title="Officer")

    response = admin_client.get(
        reverse("admin:stakeholders_organisationname_changelist"),
        {"q": "sogliqni"},
    )
    assert list(response.context["cl"].result_list) == [other]
    response = admin_client.get(
        reverse("admin:stakeholders_position_changelist"), {"q": "Хасанов"}
    )
    assert list(response.context["cl"].result_list) == [position]
    # Its own fields as before.
    response = admin_client.get(
        reverse("admin:stakeholders_position_changelist"), {"q": "officer"}
    )
    assert [p.title for p in response.context["cl"].result_list] == ["Officer"]

"""The admin's add forms name the records a new one may duplicate before it
is saved, link to each, and save it when the editor says it is another."""

import pytest
from django.urls import reverse

from duplicates.warnings import CANDIDATES, likely_organisations, likely_people
from stakeholders.models import Organisation, OrganisationType, Person
from tests.factories import OrganisationFactory, OrganisationNameFactory, PersonFactory
from tests.stakeholders.test_admin import form_data, form_errors

pytestmark = pytest.mark.django_db

ADD_ORGANISATION = reverse("admin:stakeholders_organisation_add")
ADD_PERSON = reverse("admin:stakeholders_person_add")


def reasons_of(found):
    return {
        record.pk: {reason.label for reason in reasons} for record, reasons in found
    }


def post_organisation(client, **fields):
    data = form_data(client.get(ADD_ORGANISATION))
    data.update(type=OrganisationType.objects.get(slug="other").pk)
    data.update(fields)
    return client.post(ADD_ORGANISATION, data)


def test_uzinfocom_typed_again_in_cyrillic_is_named_before_it_is_saved(admin_client):
    uzinfocom = OrganisationFactory(name="Single Integrator", acronym="UZINFOCOM")

    response = post_organisation(admin_client, name="Узинфоком", acronym="")

    assert response.status_code == 200
    assert set(form_errors(response)) == {"__all__"}
    page = response.content.decode()
    assert "Possibly already on record" in page
    assert (
        reverse("admin:stakeholders_organisation_change", args=[uzinfocom.pk]) in page
    )
    assert "an acronym is the other&#x27;s name" in page
    assert not Organisation.objects.filter(name="Узинфоком").exists()

    again = post_organisation(
        admin_client, name="Узинфоком", acronym="", save_anyway="on"
    )

    assert again.status_code == 302
    assert Organisation.objects.filter(name="Узинфоком").exists()


def test_a_name_like_no_other_is_saved_at_once(admin_client):
    OrganisationFactory(name="Ministry of Finance", acronym="MF")

    response = post_organisation(admin_client, name="Ministry of Health", acronym="")

    assert response.status_code == 302


def test_a_form_with_an_error_shows_the_error_not_a_warning(admin_client):
    OrganisationFactory(name="Ministry of Health", acronym="")

    response = post_organisation(admin_client, name="Ministry of Helth", type="")

    assert set(form_errors(response)) == {"type"}
    assert "Possibly already on record" not in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ({"name": "Ўзбекистон Соғлиқни сақлаш вазирлиги"}, "same name in any script"),
        ({"name": "Sogʻliqni saqlash vazirligi"}, "a name is the other's other name"),
        ({"name": "Ministry of Helth"}, "similar name"),
        ({"name": "Health office", "email": "INFO@minzdrav.uz"}, "same email"),
        (
            {"name": "Health ministry", "acronym": "Ministry of Health"},
            "an acronym is the other's name",
        ),
    ],
)
def test_each_reason_names_the_existing_organisation(typed, reason):
    existing = OrganisationFactory(
        name="Ministry of Health", acronym="", email="info@minzdrav.uz"
    )
    OrganisationNameFactory(organisation=existing, name="Sogʻliqni saqlash vazirligi")
    OrganisationFactory(name="Oʻzbekiston Sogʻliqni saqlash vazirligi", acronym="")
    different = OrganisationFactory(name="Ministry of Finance", acronym="")

    found = reasons_of(likely_organisations(**typed))

    if reason == "same name in any script":
        existing = Organisation.objects.get(name__startswith="Oʻzbekiston")
    assert reason in found[existing.pk]
    assert different.pk not in found


def test_a_person_named_in_another_order_and_script_is_named(admin_client):
    nodira = PersonFactory(full_name="Nodira Xasanova", email="", phone="")
    PersonFactory(full_name="Nodira Karimova", email="", phone="")

    data = form_data(admin_client.get(ADD_PERSON))
    data.update(full_name="Хасанова Нодира", email="")
    response = admin_client.post(ADD_PERSON, data)

    assert response.status_code == 200
    assert reasons_of(response.context["adminform"].form.likely_duplicates) == {
        nodira.pk: {"same name in any script"}
    }
    data["save_anyway"] = "on"
    assert admin_client.post(ADD_PERSON, data).status_code == 302
    assert Person.objects.filter(full_name="Хасанова Нодира").exists()


def test_a_person_with_the_same_phone_or_a_typo_in_the_name_is_named():
    aziz = PersonFactory(full_name="Aziz Karimov", email="", phone="+998 90 123 45 67")
    PersonFactory(full_name="Timur Saidov", email="", phone="")

    assert reasons_of(likely_people("Azizbek Karimov", "", "90 123-45-67")) == {
        aziz.pk: {"same phone number"}
    }
    assert reasons_of(likely_people("Aziz Karinov")) == {aziz.pk: {"similar name"}}
    assert likely_people("Timur Karimov") == []


def test_a_name_is_found_however_many_share_each_of_its_words():
    # More than the 50 candidates a search keeps, shorter, with each word.
    PersonFactory.create_batch(CANDIDATES + 5, full_name="Nodira Ali", email="")
    PersonFactory.create_batch(CANDIDATES + 5, full_name="Ali Xasanova", email="")
    nodira = PersonFactory(full_name="Nodira Xasanova", email="", phone="")

    assert reasons_of(likely_people("Хасанова Нодира")) == {
        nodira.pk: {"same name in any script"}
    }


def test_a_typo_in_one_word_is_found_however_many_share_the_others():
    PersonFactory.create_batch(CANDIDATES + 5, full_name="Aziz Ali", email="")
    aziz = PersonFactory(full_name="Aziz Karimov", email="", phone="")
    for index in range(CANDIDATES + 5):
        OrganisationFactory(name=f"Health Centre {index}", acronym="")
    samarkand = OrganisationFactory(name="Health Centre of Samarkand", acronym="")

    assert reasons_of(likely_people("Aziz Karinov")) == {aziz.pk: {"similar name"}}
    # In the other word; a letter dropped.
    assert reasons_of(likely_people("Azis Karimov")) == {aziz.pk: {"similar name"}}
    assert reasons_of(likely_people("Aziz Karimv")) == {aziz.pk: {"similar name"}}
    assert reasons_of(likely_organisations("Health Centre of Smarkand")) == {
        samarkand.pk: {"similar name"}
    }


def test_a_typo_anywhere_in_a_short_word_of_a_long_name_is_found():
    for index in range(CANDIDATES + 5):
        OrganisationFactory(name=f"Public Health Agency {index}", acronym="")
    agency = OrganisationFactory(name="Public Health Agency of Tashkent", acronym="")

    # Neither "hel" nor "ath" is in Health: the three other words find it.
    assert reasons_of(likely_organisations("Public Helath Agency of Tashkent")) == {
        agency.pk: {"similar name"}
    }


def test_a_name_with_another_number_is_not_a_typo_of_it():
    # Numbered clinics and schools are many: the next one is a new one, as
    # the finder of the pairs on file judges too (test_finder).
    clinic = OrganisationFactory(name="Family Polyclinic No. 12", acronym="")

    assert likely_organisations("Family Polyclinic No. 13") == []
    assert likely_organisations("Family Polyclinic No. 112") == []
    assert reasons_of(likely_organisations("Family Polyclnic No. 12")) == {
        clinic.pk: {"similar name"}
    }


def test_a_name_a_typo_away_is_not_listed_beside_the_same_name():
    aziz = PersonFactory(full_name="Aziz Karimov", email="", phone="")
    PersonFactory(full_name="Aziz Karimof", email="", phone="")

    assert reasons_of(likely_people("Karimov Aziz")) == {
        aziz.pk: {"same name in any script"}
    }


@pytest.mark.parametrize("n", [1, 12])
def test_the_warning_costs_the_same_queries_whatever_it_finds(
    django_assert_max_num_queries, n
):
    for index in range(n):
        organisation = OrganisationFactory(name=f"Health agency {index}", acronym="")
        OrganisationNameFactory(organisation=organisation, name=f"Agency {index}")
        PersonFactory(full_name=f"Aziz Karimov {index}", email="")

    # The names with every word of the name, those a typo in one word away,
    # and the candidates' other names.
    with django_assert_max_num_queries(3):
        likely_organisations("Health agency 0")
    # The same two searches, and the person with the email.
    with django_assert_max_num_queries(3):
        likely_people("Aziz Karimof 0", "someone@example.org")

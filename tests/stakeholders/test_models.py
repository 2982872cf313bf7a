import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance
from stakeholders.models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
    of_organisation_types,
)
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationIdentifierFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

# Requests go over HTTPS (secure=True): outside DEBUG the site redirects plain HTTP.

NAME_TAKEN = "An active organisation with this name already exists."
EMAIL_TAKEN = "A person with this email already exists."
ENDS_BEFORE_IT_BEGINS = "A position cannot end before it begins."
OTHER_NAME_TAKEN = "This organisation already has this name."
IDENTIFIER_TAKEN = "This identifier is already recorded in this scheme."


def organisation_data(organisation=None, **changes):
    """The organisation admin form as a browser posts it, empty inlines included.
    Given ``organisation``, the form shows its current values."""
    data = {
        "name": "Ministry of Health",
        "acronym": "",
        "type": OrganisationType.objects.get(slug="ministry").pk,
        "parent": "",
        "country": "UZ",
        "website": "",
        "email": "",
        "phone": "",
        "address": "",
        "notes": "",
        "is_active": "on",
    }
    if organisation is not None:
        data.update(
            name=organisation.name,
            acronym=organisation.acronym,
            type=organisation.type_id,
            parent=organisation.parent_id or "",
            is_active="on" if organisation.is_active else None,
            # The version the form was opened at (see VersionedModelForm).
            seen_version=organisation.version,
        )
    for prefix in ("other_names", "identifiers", "positions"):
        data[f"{prefix}-TOTAL_FORMS"] = 0
        data[f"{prefix}-INITIAL_FORMS"] = 0
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def person_data(**changes):
    data = {
        "full_name": "Aziz Karimov",
        "email": "",
        "phone": "",
        "notes": "",
        "positions-TOTAL_FORMS": 0,
        "positions-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def position_data(**changes):
    data = {
        "person": PersonFactory().pk,
        "organisation": OrganisationFactory().pk,
        "title": "Acting director",
        "department": "",
        "since": "2025-03-01",
        "until": "",
        "notes": "",
    }
    data.update(changes)
    return data


# Organisation names


def test_admin_refuses_a_second_active_organisation_with_the_same_name_in_other_case(
    admin_client,
):
    OrganisationFactory(name="Ministry of Health")

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_add"),
        organisation_data(name="MINISTRY OF HEALTH"),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [NAME_TAKEN]}
    assert Organisation.objects.count() == 1


def test_database_refuses_a_second_active_organisation_with_the_name_in_other_case():
    OrganisationFactory(name="Ministry of Health")

    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(name="MINISTRY OF HEALTH")


def test_admin_refuses_to_reactivate_an_organisation_whose_name_is_now_taken(
    admin_client,
):
    OrganisationFactory(name="Ministry of Health")
    closed = OrganisationFactory(name="ministry of health", is_active=False)

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_change", args=[closed.pk]),
        organisation_data(closed, is_active="on"),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [NAME_TAKEN]}
    closed.refresh_from_db()
    assert not closed.is_active


def test_admin_accepts_an_inactive_organisation_with_the_name_of_an_active_one(
    admin_client,
):
    OrganisationFactory(name="Ministry of Health")

    # The constraint allows it; the add form names the active one first
    # (tests/duplicates/test_add_warnings.py), and saves when told to.
    response = admin_client.post(
        reverse("admin:stakeholders_organisation_add"),
        organisation_data(name="MINISTRY OF HEALTH", is_active=None, save_anyway="on"),
        secure=True,
    )

    assert response.status_code == 302
    assert Organisation.objects.filter(
        name="MINISTRY OF HEALTH", is_active=False
    ).exists()


def test_database_accepts_an_inactive_organisation_with_the_name_of_an_active_one():
    OrganisationFactory(name="Ministry of Health")

    OrganisationFactory(name="MINISTRY OF HEALTH", is_active=False)

    assert Organisation.objects.filter(name__iexact="ministry of health").count() == 2


def test_admin_lets_an_organisation_be_saved_again_under_its_own_name(admin_client):
    ministry = OrganisationFactory(name="Ministry of Health")

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_change", args=[ministry.pk]),
        organisation_data(ministry, name="MINISTRY OF HEALTH"),
        secure=True,
    )

    assert response.status_code == 302
    ministry.refresh_from_db()
    assert ministry.name == "MINISTRY OF HEALTH"


# Person emails


def test_admin_refuses_a_second_person_with_the_same_email_in_other_case(
    admin_client,
):
    PersonFactory(email="aziz.karimov@example.org")

    response = admin_client.post(
        reverse("admin:stakeholders_person_add"),
        person_data(email="Aziz.Karimov@EXAMPLE.org"),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": [EMAIL_TAKEN]}
    assert Person.objects.count() == 1


def test_database_refuses_a_second_person_with_the_same_email_in_other_case():
    PersonFactory(email="aziz.karimov@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(email="Aziz.Karimov@EXAMPLE.org")


def test_admin_accepts_two_people_without_an_email(admin_client):
    PersonFactory(email="")

    response = admin_client.post(
        reverse("admin:stakeholders_person_add"), person_data(email=""), secure=True
    )

    assert response.status_code == 302
    assert Person.objects.filter(email="").count() == 2


def test_database_accepts_two_people_without_an_email():
    PersonFactory(email="")

    PersonFactory(email="")

    assert Person.objects.filter(email="").count() == 2


# Position dates


def test_admin_refuses_a_position_that_ends_before_it_begins(admin_client):
    response = admin_client.post(
        reverse("admin:stakeholders_position_add"),
        position_data(since="2025-03-01", until="2025-02-28"),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "until": [ENDS_BEFORE_IT_BEGINS]
    }
    assert Position.objects.count() == 0


def test_admin_refuses_a_position_inline_on_a_person_that_ends_before_it_begins(
    admin_client,
):
    person = PersonFactory(full_name="Aziz Karimov")
    ministry = OrganisationFactory()

    response = admin_client.post(
        reverse("admin:stakeholders_person_change", args=[person.pk]),
        person_data(
            email=person.email,
            **{
                "positions-TOTAL_FORMS": 1,
                "positions-0-organisation": ministry.pk,
                "positions-0-title": "Acting director",
                "positions-0-since": "2025-03-01",
                "positions-0-until": "2025-02-28",
            },
        ),
        secure=True,
    )

    assert response.status_code == 200
    (positions,) = response.context["inline_admin_formsets"]
    assert positions.formset.errors == [{"until": [ENDS_BEFORE_IT_BEGINS]}]
    assert Position.objects.count() == 0


def test_database_refuses_a_position_that_ends_before_it_begins():
    with pytest.raises(IntegrityError), transaction.atomic():
        PositionFactory(
            since=datetime.date(2025, 3, 1), until=datetime.date(2025, 2, 28)
        )


def test_admin_accepts_a_position_that_ends_the_day_it_begins(admin_client):
    response = admin_client.post(
        reverse("admin:stakeholders_position_add"),
        position_data(since="2025-03-01", until="2025-03-01"),
        secure=True,
    )

    assert response.status_code == 302
    position = Position.objects.get()
    assert position.since == position.until == datetime.date(2025, 3, 1)


def test_database_accepts_a_position_that_ends_the_day_it_begins():
    PositionFactory(since=datetime.date(2025, 3, 1), until=datetime.date(2025, 3, 1))

    assert Position.objects.count() == 1


def test_admin_accepts_an_open_ended_position(admin_client):
    response = admin_client.post(
        reverse("admin:stakeholders_position_add"),
        position_data(since="2025-03-01", until=""),
        secure=True,
    )

    assert response.status_code == 302
    assert Position.objects.get().until is None


def test_database_accepts_an_open_ended_position():
    PositionFactory(since=datetime.date(2025, 3, 1), until=None)

    assert Position.objects.get().until is None


# Organisation hierarchy


def test_it_refuses_to_make_an_organisation_part_of_its_own_child():
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")
    department = OrganisationFactory(
        name="Digital Health Department", acronym="", parent=ministry
    )

    ministry.parent = department
    with pytest.raises(ValidationError) as caught:
        ministry.full_clean()

    assert caught.value.message_dict == {
        "parent": [
            "Digital Health Department is part of Ministry of Health: an "
            "organisation cannot be its own ancestor."
        ]
    }


def test_admin_refuses_to_make_an_organisation_part_of_its_own_child(admin_client):
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")
    department = OrganisationFactory(
        name="Digital Health Department", acronym="", parent=ministry
    )

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_change", args=[ministry.pk]),
        organisation_data(ministry, parent=department.pk),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "parent": [
            "Digital Health Department is part of Ministry of Health: an "
            "organisation cannot be its own ancestor."
        ]
    }
    ministry.refresh_from_db()
    assert ministry.parent is None


def test_it_refuses_to_make_an_organisation_its_own_parent():
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")

    ministry.parent = ministry
    with pytest.raises(ValidationError) as caught:
        ministry.full_clean()

    assert list(caught.value.message_dict) == ["parent"]
    assert "Ministry of Health" in caught.value.message_dict["parent"][0]


def test_admin_refuses_to_make_an_organisation_its_own_parent(admin_client):
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_change", args=[ministry.pk]),
        organisation_data(ministry, parent=ministry.pk),
        secure=True,
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["parent"]
    assert "Ministry of Health" in errors["parent"][0]
    ministry.refresh_from_db()
    assert ministry.parent is None


def test_database_refuses_an_organisation_that_is_its_own_parent():
    ministry = OrganisationFactory()

    ministry.parent = ministry
    with pytest.raises(IntegrityError), transaction.atomic():
        ministry.save()


def test_it_refuses_a_cycle_three_levels_deep():
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")
    department = OrganisationFactory(
        name="Digital Health Department", acronym="", parent=ministry
    )
    unit = OrganisationFactory(name="Registry Unit", acronym="", parent=department)

    ministry.parent = unit
    with pytest.raises(ValidationError) as caught:
        ministry.full_clean()

    assert caught.value.message_dict == {
        "parent": [
            "Registry Unit is part of Ministry of Health: an organisation cannot "
            "be its own ancestor."
        ]
    }


def test_admin_refuses_a_cycle_three_levels_deep(admin_client):
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")
    department = OrganisationFactory(
        name="Digital Health Department", acronym="", parent=ministry
    )
    unit = OrganisationFactory(name="Registry Unit", acronym="", parent=department)

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_change", args=[ministry.pk]),
        organisation_data(ministry, parent=unit.pk),
        secure=True,
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["parent"]
    ministry.refresh_from_db()
    assert ministry.parent is None


def test_it_accepts_a_parent_that_is_not_a_descendant():
    president = OrganisationFactory(name="President of the Republic of Uzbekistan")
    statistics = OrganisationFactory(name="Statistics Agency")
    OrganisationFactory(name="Regional Statistics Office", parent=statistics)

    statistics.parent = president
    statistics.full_clean()


# Other names


def test_admin_refuses_an_other_name_the_organisation_already_has_in_other_case(
    admin_client,
):
    who = OrganisationFactory(name="World Health Organization")
    OrganisationNameFactory(organisation=who, name="OMS", language="other")

    response = admin_client.post(
        reverse("admin:stakeholders_organisationname_add"),
        {"organisation": who.pk, "name": "oms", "language": "other"},
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [OTHER_NAME_TAKEN]}
    assert OrganisationName.objects.count() == 1


def test_admin_refuses_a_cyrillic_other_name_the_organisation_has_in_other_case(
    admin_client,
):
    who = OrganisationFactory(name="World Health Organization")
    OrganisationNameFactory(organisation=who, name="Всемирная организация")

    response = admin_client.post(
        reverse("admin:stakeholders_organisationname_add"),
        {"organisation": who.pk, "name": "ВСЕМИРНАЯ ОРГАНИЗАЦИЯ", "language": "ru"},
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [OTHER_NAME_TAKEN]}
    assert OrganisationName.objects.count() == 1


def test_admin_refuses_an_other_name_the_organisation_already_has_in_its_inline(
    admin_client,
):
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    existing = OrganisationNameFactory(organisation=who, name="OMS", language="other")

    response = admin_client.post(
        reverse("admin:stakeholders_organisation_change", args=[who.pk]),
        organisation_data(
            who,
            **{
                "other_names-TOTAL_FORMS": 2,
                "other_names-INITIAL_FORMS": 1,
                "other_names-0-id": existing.pk,
                "other_names-0-organisation": who.pk,
                "other_names-0-name": "OMS",
                "other_names-0-language": "other",
                "other_names-1-organisation": who.pk,
                "other_names-1-name": "oms",
                "other_names-1-language": "other",
            },
        ),
        secure=True,
    )

    assert response.status_code == 200
    other_names = response.context["inline_admin_formsets"][0].formset
    assert other_names.prefix == "other_names"
    assert OTHER_NAME_TAKEN in str(other_names.errors)
    assert list(who.other_names.values_list("name", flat=True)) == ["OMS"]


def test_database_refuses_an_other_name_the_organisation_already_has_in_other_case():
    who = OrganisationFactory()
    OrganisationNameFactory(organisation=who, name="OMS")

    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationNameFactory(organisation=who, name="oms")


def test_database_refuses_a_cyrillic_other_name_the_organisation_has_in_other_case():
    who = OrganisationFactory()
    OrganisationNameFactory(organisation=who, name="Всемирная организация")

    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationNameFactory(organisation=who, name="ВСЕМИРНАЯ ОРГАНИЗАЦИЯ")


def test_two_organisations_may_have_the_same_other_name(admin_client):
    OrganisationNameFactory(name="Minzdrav")
    other = OrganisationFactory()

    response = admin_client.post(
        reverse("admin:stakeholders_organisationname_add"),
        {"organisation": other.pk, "name": "MINZDRAV", "language": "ru"},
        secure=True,
    )

    assert response.status_code == 302
    assert OrganisationName.objects.filter(name__iexact="minzdrav").count() == 2


# External identifiers


def test_admin_refuses_an_identifier_another_organisation_has_in_the_same_scheme(
    admin_client,
):
    OrganisationIdentifierFactory(scheme="XM-DAC", value="41110")
    other = OrganisationFactory()

    response = admin_client.post(
        reverse("admin:stakeholders_organisationidentifier_add"),
        {"organisation": other.pk, "scheme": "XM-DAC", "value": "41110"},
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == [IDENTIFIER_TAKEN]
    assert OrganisationIdentifier.objects.count() == 1


def test_database_refuses_an_identifier_another_organisation_has_in_the_same_scheme():
    OrganisationIdentifierFactory(scheme="XM-DAC", value="41110")

    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationIdentifierFactory(scheme="XM-DAC", value="41110")


def test_the_same_identifier_value_may_appear_in_two_schemes(admin_client):
    OrganisationIdentifierFactory(scheme="XM-DAC", value="41110")
    other = OrganisationFactory()

    response = admin_client.post(
        reverse("admin:stakeholders_organisationidentifier_add"),
        {"organisation": other.pk, "scheme": "IATI", "value": "41110"},
        secure=True,
    )

    assert response.status_code == 302
    assert OrganisationIdentifier.objects.filter(value="41110").count() == 2


# Search


def test_search_finds_an_organisation_by_its_acronym_in_any_case():
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    OrganisationFactory(name="Ministry of Health", acronym="MoH")

    assert list(Organisation.objects.search("who")) == [who]


def test_search_finds_an_organisation_by_a_cyrillic_other_name():
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    OrganisationNameFactory(
        organisation=who, name="Всемирная организация здравоохранения"
    )
    OrganisationFactory(name="Ministry of Health", acronym="MoH")

    assert list(Organisation.objects.search("Всемирная")) == [who]


def test_search_ignores_the_case_of_a_cyrillic_other_name():
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    OrganisationNameFactory(
        organisation=who, name="Всемирная организация здравоохранения"
    )

    assert list(Organisation.objects.search("всемирная")) == [who]


def test_search_lists_an_organisation_once_when_several_of_its_names_match():
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    OrganisationNameFactory(
        organisation=who, name="Всемирная организация здравоохранения"
    )
    OrganisationNameFactory(
        organisation=who, name="Jahon sog'liqni saqlash tashkiloti", language="uz-latn"
    )
    OrganisationNameFactory(
        organisation=who, name="Европейское бюро здравоохранения", is_former=True
    )

    assert list(Organisation.objects.search("здравоохранения")) == [who]


# Organisations of a type


@pytest.mark.parametrize(
    "types",
    [
        "donor",
        ["donor", "un-agency"],
        lambda: OrganisationType.objects.get(slug="donor"),
        lambda: OrganisationType.objects.filter(slug__in=["donor", "un-agency"]),
        lambda: [OrganisationType.objects.get(slug="donor").pk],
    ],
    ids=["a slug", "slugs", "a type", "types", "ids"],
)
def test_of_type_takes_slugs_types_or_ids(types):
    donor = OrganisationFactory(type=OrganisationType.objects.get(slug="donor"))
    OrganisationFactory(type=OrganisationType.objects.get(slug="ministry"))
    types = types() if callable(types) else types

    assert list(Organisation.objects.of_type(types)) == [donor]


def test_of_type_of_no_known_type_is_no_organisation():
    OrganisationFactory()

    assert not Organisation.objects.of_type("no-such-type").exists()
    assert not Person.objects.filter(of_organisation_types("no-such-type")).exists()


# Meeting statistics


def test_meeting_stats_count_distinct_attended_meetings_and_the_latest_start():
    ministry = OrganisationFactory()
    first = MeetingFactory(
        starts_at=timezone.make_aware(datetime.datetime(2025, 1, 29, 10))
    )
    latest = MeetingFactory(
        starts_at=timezone.make_aware(datetime.datetime(2025, 3, 4, 14))
    )
    invited_only = MeetingFactory(
        starts_at=timezone.make_aware(datetime.datetime(2025, 5, 1, 9))
    )
    # Two people at one meeting are one meeting attended.
    AttendanceFactory(meeting=first, organisation=ministry)
    AttendanceFactory(meeting=first, organisation=ministry)
    AttendanceFactory(meeting=latest, organisation=ministry, person=None)
    AttendanceFactory(
        meeting=invited_only,
        organisation=ministry,
        status=Attendance.Status.INVITED,
    )

    stats = Organisation.objects.get(pk=ministry.pk)

    assert stats.meetings_attended == 2
    assert stats.last_met == latest.starts_at


def test_meeting_stats_are_zero_and_empty_for_an_organisation_never_met():
    never_met = OrganisationFactory()
    AttendanceFactory(
        organisation=never_met, person=None, status=Attendance.Status.INVITED
    )

    stats = Organisation.objects.get(pk=never_met.pk)

    assert stats.meetings_attended == 0
    assert stats.last_met is None


# Current positions


def test_current_positions_include_open_ended_ones_and_exclude_ended_ones():
    today = timezone.localdate()
    open_ended = PositionFactory(since=today - datetime.timedelta(days=365))
    ends_today = PositionFactory(since=today - datetime.timedelta(days=30), until=today)
    PositionFactory(
        since=today - datetime.timedelta(days=365),
        until=today - datetime.timedelta(days=1),
    )

    assert set(Position.objects.current()) == {open_ended, ends_today}


# Readable names


def test_an_organisation_reads_as_its_name_and_acronym():
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")

    assert str(who) == "World Health Organization (WHO)"


def test_an_organisation_without_a_distinct_acronym_reads_as_its_name():
    kfw = OrganisationFactory(name="KfW", acronym="KFW")
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")

    assert (str(kfw), str(ministry)) == ("KfW", "Ministry of Health")


def test_people_positions_names_identifiers_and_types_read_plainly():
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    person = PersonFactory(full_name="Aziz Karimov")
    position = PositionFactory(person=person, organisation=who, title="Country lead")
    untitled = PositionFactory(person=person, organisation=who, title="")
    other_name = OrganisationNameFactory(
        organisation=who, name="Всемирная организация здравоохранения"
    )
    identifier = OrganisationIdentifierFactory(
        organisation=who, scheme="XM-DAC", value="41143"
    )

    assert str(person) == "Aziz Karimov"
    assert str(position) == "Country lead, World Health Organization (WHO)"
    assert str(untitled) == "Position, World Health Organization (WHO)"
    assert str(other_name) == "Всемирная организация здравоохранения"
    assert str(identifier) == "XM-DAC 41143"
    assert str(OrganisationType.objects.get(slug="ministry")) == "Ministry"

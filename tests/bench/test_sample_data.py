"""manage.py generate_sample_data: the planned sizes, the same data from the same
seed, a refusal to write into a database that holds data, and the shape the
benchmark relies on (a few busy organisations, hierarchies, changing jobs)."""

import statistics

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from bench.sample_data import dataset_digest, domain_data_delete
from bench.sample_plan import ANCHOR, Plan
from duplicates.models import OrganisationPair, PersonPair
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from meetings.services import demo_load
from stakeholders.models import (
    Assessment,
    Organisation,
    OrganisationType,
    Person,
    Position,
)
from tests.factories import OrganisationPairFactory, PersonPairFactory

pytestmark = pytest.mark.django_db

S = Plan.for_scale("S")
DEFAULT_TYPES = {
    "ministry",
    "government-agency",
    "state-fund",
    "project-office",
    "integrator",
    "donor",
    "un-agency",
    "international-organisation",
    "ngo",
    "academic",
    "private-sector",
    "other",
}


def generate(**options):
    call_command("generate_sample_data", verbosity=0, **options)


def test_scale_m_is_the_size_of_the_issue_and_the_others_multiples_of_it():
    m = Plan.for_scale("M")
    assert (m.organisations, m.people, m.meetings, m.attendance) == (
        1_000,
        5_000,
        500,
        25_000,
    )
    xl = Plan.for_scale("XL")
    assert (xl.organisations, xl.people, xl.meetings, xl.attendance) == (
        100_000,
        500_000,
        50_000,
        2_500_000,
    )
    assert S.organisations == 100


def test_it_writes_the_planned_number_of_rows():
    generate(scale="S")

    assert Organisation.objects.count() == S.organisations
    assert Person.objects.count() == S.people
    assert Meeting.objects.count() == S.meetings
    assert Attendance.objects.count() == S.attendance
    assert Topic.objects.count() == S.topics
    # Derived from those, at random: about 1.6 positions a person, one to four
    # agenda items and up to three follow-ups a meeting.
    assert S.people <= Position.objects.count() <= 3 * S.people
    assert S.meetings <= AgendaItem.objects.count() <= 4 * S.meetings
    assert 0 < FollowUp.objects.count() <= 3 * S.meetings


def test_a_factor_scales_scale_m():
    generate(factor=0.02)

    assert Organisation.objects.count() == 20
    assert Attendance.objects.count() == 500


def test_the_same_seed_writes_the_same_data_twice():
    generate(scale="S")
    first = dataset_digest()
    domain_data_delete()
    assert not Organisation.objects.exists()

    generate(scale="S")

    assert dataset_digest() == first


def test_another_seed_writes_other_data():
    generate(scale="S")
    first = dataset_digest()
    domain_data_delete()

    generate(scale="S", seed=7)

    assert dataset_digest() != first


def test_it_refuses_a_database_that_holds_data_and_writes_nothing():
    demo_load()
    before = Organisation.objects.count()

    with pytest.raises(CommandError, match=r"--append .* --force"):
        generate(scale="S")

    assert Organisation.objects.count() == before
    assert not Person.objects.exists()


def test_append_adds_the_sample_data_beside_what_is_there():
    meeting = demo_load()
    before = Organisation.objects.count()

    generate(scale="S", append=True)

    assert Meeting.objects.filter(pk=meeting.pk).exists()
    assert Organisation.objects.count() == before + S.organisations


def test_append_twice_keeps_names_and_emails_unique():
    generate(factor=0.02)

    generate(factor=0.02, append=True)

    assert Organisation.objects.count() == 40
    assert Person.objects.count() == 2 * Plan.for_factor(0.02).people


def test_force_deletes_what_is_there_first():
    meeting = demo_load()

    generate(scale="S", force=True)

    assert not Meeting.objects.filter(title=meeting.title).exists()
    assert Organisation.objects.count() == S.organisations
    # Types come from the data migration and stay.
    assert set(OrganisationType.objects.values_list("slug", flat=True)) >= (
        DEFAULT_TYPES
    )


def test_force_deletes_the_duplicate_pairs_found_in_what_was_there():
    OrganisationPairFactory()
    PersonPairFactory()

    generate(scale="S", force=True)

    assert not OrganisationPair.objects.exists()
    assert not PersonPair.objects.exists()
    assert Person.objects.count() == S.people


def test_the_data_is_obviously_fake():
    generate(scale="S")

    assert not Organisation.objects.exclude(name__istartswith="Sample ").exists()
    assert not Person.objects.exclude(full_name__startswith="Sample ").exists()
    assert not Meeting.objects.exclude(title__startswith="Sample ").exists()
    assert not Topic.objects.exclude(name__startswith="Sample ").exists()
    emails = Person.objects.exclude(email="").values_list("email", flat=True)
    assert emails
    assert all(email.lower().endswith("@example.org") for email in emails)


def test_it_uses_every_organisation_type_of_the_data_migration():
    generate(scale="S")

    used = set(Organisation.objects.values_list("type__slug", flat=True))
    assert used == DEFAULT_TYPES


def test_a_few_organisations_attend_most_meetings_and_most_a_few():
    generate(scale="M")

    per_organisation = sorted(
        Attendance.objects.values("organisation")
        .annotate(n=Count("meeting", distinct=True))
        .values_list("n", flat=True),
        reverse=True,
    )
    meetings = Meeting.objects.count()
    assert per_organisation[0] > 0.8 * meetings
    assert per_organisation[4] > 0.5 * meetings
    assert statistics.median(per_organisation) < 0.05 * meetings


def test_organisations_sit_up_to_three_levels_under_a_parent():
    generate(scale="S")

    children = Organisation.objects.filter(parent__isnull=False)
    grandchildren = children.filter(parent__parent__isnull=False)
    great = grandchildren.filter(parent__parent__parent__isnull=False)
    assert children.exists()
    assert grandchildren.exists()
    assert not great.filter(parent__parent__parent__parent__isnull=False).exists()


def test_people_change_jobs_over_time():
    generate(scale="S")

    movers = (
        Person.objects.annotate(
            ended=Count("positions", filter=Q(positions__until__isnull=False)),
            current=Count("positions", filter=Q(positions__until__isnull=True)),
        )
        .filter(ended__gt=0, current=1)
        .count()
    )
    assert movers > S.people / 10
    # Nobody holds two open-ended positions.
    assert not (
        Person.objects.annotate(
            current=Count("positions", filter=Q(positions__until__isnull=True))
        )
        .filter(current__gt=1)
        .exists()
    )


def test_the_host_attends_its_meetings_as_host():
    generate(scale="S")

    hosted = Meeting.objects.filter(host__isnull=False)
    for meeting in hosted:
        roles = set(
            meeting.attendances.filter(organisation=meeting.host_id).values_list(
                "role", flat=True
            )
        )
        assert roles == {Attendance.Role.HOST}, meeting


def test_meetings_before_the_anchor_were_held_or_cancelled_and_after_it_planned():
    generate(scale="S")

    past = Meeting.objects.filter(starts_at__lt=ANCHOR)
    assert set(past.values_list("status", flat=True)) <= {
        Meeting.Status.HELD,
        Meeting.Status.CANCELLED,
    }
    assert past.filter(status=Meeting.Status.HELD).exists()
    assert (
        not Meeting.objects.filter(starts_at__gte=ANCHOR)
        .exclude(status=Meeting.Status.PLANNED)
        .exists()
    )


def test_about_a_tenth_of_the_organisations_have_dated_assessments():
    generate(scale="M")

    per_organisation = list(
        Assessment.objects.values("organisation")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assessed = len(per_organisation)
    # The core (one organisation of each type) always, then a tenth of the
    # rest at random.
    assert 70 <= assessed <= 150
    assert set(per_organisation) == {1, 2, 3}
    assert not Assessment.objects.filter(
        Q(influence__lt=1) | Q(influence__gt=5) | Q(assessed_on__gt=ANCHOR.date())
    ).exists()
    core = Organisation.objects.order_by("pk")[:12]
    assert all(o.assessments.exists() for o in core)
    # The map has one mark per assessed organisation.
    assert Assessment.objects.latest_per_organisation().count() == assessed

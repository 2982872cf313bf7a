import datetime

import factory
from django.utils import timezone

from duplicates.models import (
    OrganisationMerge,
    OrganisationPair,
    PersonMerge,
    PersonPair,
)
from meetings import stats
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from stakeholders.models import (
    Assessment,
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)


class OrganisationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationType

    name = factory.Sequence(lambda n: f"Test type {n}")
    slug = factory.Sequence(lambda n: f"test-type-{n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Test organisation {n}")
    acronym = factory.Sequence(lambda n: f"TO{n}")
    type = factory.LazyFunction(lambda: OrganisationType.objects.get(slug="ministry"))
    country = "UZ"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A factory is a write path: its type's count of active organisations
        # (the home page's), as the admin and the import refresh it.
        organisation = super()._create(model_class, *args, **kwargs)
        OrganisationType.objects.filter(
            pk=organisation.type_id
        ).refresh_active_organisations()
        return organisation


class OrganisationNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationName

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Другое название {n}")
    language = OrganisationName.Language.RUSSIAN


class OrganisationIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationIdentifier

    organisation = factory.SubFactory(OrganisationFactory)
    scheme = "XM-DAC"
    value = factory.Sequence(lambda n: str(900 + n))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    title = "Adviser"
    since = datetime.date(2024, 1, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A factory is a write path: it refreshes what the row counts for
        # (meetings/stats.py), as the admin and the services do.
        position = super()._create(model_class, *args, **kwargs)
        stats.Touched().row(position).refresh()
        return position


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Test topic {n}")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"Test meeting {n}")
    starts_at = factory.Sequence(
        lambda n: (
            timezone.make_aware(datetime.datetime(2025, 1, 1, 10))
            + datetime.timedelta(days=n)
        )
    )
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + datetime.timedelta(hours=2))
    host = factory.SubFactory(OrganisationFactory)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    topic = factory.SubFactory(TopicFactory)
    order = factory.Sequence(lambda n: n)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(MeetingFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    person = factory.SubFactory(PersonFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A factory is a write path: see PositionFactory.
        row = super()._create(model_class, *args, **kwargs)
        stats.Touched().row(row).refresh()
        return row


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    meeting = factory.SubFactory(MeetingFactory)
    action = factory.Sequence(lambda n: f"Send the draft roadmap, version {n}")
    owner_organisation = factory.SubFactory(OrganisationFactory)
    due_on = datetime.date(2025, 3, 1)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    organisation = factory.SubFactory(OrganisationFactory)
    influence = 3
    interest = 3
    stance = Assessment.Stance.NEUTRAL
    assessed_on = factory.LazyFunction(timezone.localdate)


class OrganisationPairFactory(factory.django.DjangoModelFactory):
    """Two organisations find_duplicates paired (the first made first, so
    with the smaller id)."""

    class Meta:
        model = OrganisationPair

    first = factory.SubFactory(OrganisationFactory, name="Uzinfocom")
    second = factory.SubFactory(OrganisationFactory, name="Узинфоком")
    score = 80
    reasons = factory.LazyFunction(lambda: ["same_name"])
    found_at = factory.LazyFunction(timezone.now)


class PersonPairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonPair

    first = factory.SubFactory(PersonFactory, full_name="Nodira Xasanova")
    second = factory.SubFactory(PersonFactory, full_name="Хасанова Нодира")
    score = 65
    reasons = factory.LazyFunction(lambda: ["same_name"])
    found_at = factory.LazyFunction(timezone.now)


class OrganisationMergeFactory(factory.django.DjangoModelFactory):
    """A merge record, as duplicates.merge writes one (the merged record
    gone, its number kept)."""

    class Meta:
        model = OrganisationMerge

    survivor = factory.SubFactory(OrganisationFactory)
    old_id = 999_999
    old_label = "Узинфоком"
    old_record = factory.LazyFunction(lambda: {"name": "Узинфоком"})
    merged_at = factory.LazyFunction(timezone.now)


class PersonMergeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonMerge

    survivor = factory.SubFactory(PersonFactory)
    old_id = 999_999
    old_label = "Хасанова Нодира"
    old_record = factory.LazyFunction(lambda: {"full_name": "Хасанова Нодира"})
    merged_at = factory.LazyFunction(timezone.now)

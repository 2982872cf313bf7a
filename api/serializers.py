"""The API's records: each model's own columns, its links as ids (an
organisation's type by its slug, as the lists' ``?type=``), and ``version``,
which is also each record's ``ETag``. Stored figures (meetings attended, last
met) are read-only, as in the admin."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers

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

READ_ONLY = ["id", "version"]


class RecordSerializer(serializers.ModelSerializer):
    """A resource's fields; those a client may write are handed to the
    admin's form for the model (api/writes.py), with ``form_only``, the
    form's own fields that are not the record's."""

    form_only = ()

    def writable_names(self):
        return [
            name
            for name, field in self.fields.items()
            if not field.read_only and name not in self.form_only
        ]


# Kept by Hamkor (meetings.stats) or by Django: read-only.
STORED = ["meetings_attended", "last_met", "created_at", "updated_at"]


class WarnsOfDuplicates(RecordSerializer):
    """An organisation or a person, whose admin add form warns of likely
    duplicates (duplicates.forms) and saves with its "Save anyway" box."""

    save_anyway = serializers.BooleanField(
        write_only=True,
        required=False,
        help_text=_(
            "A new record like one on record is refused (400) with the likely "
            "duplicates; send true to save it all the same."
        ),
    )
    form_only = ("save_anyway",)


class OrganisationTypeSerializer(RecordSerializer):
    class Meta:
        model = OrganisationType
        fields = [
            "id",
            "version",
            "name",
            "slug",
            "iati_code",
            "description",
            "active_organisations",
        ]
        read_only_fields = [*READ_ONLY, "active_organisations"]


class OtherNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrganisationName
        fields = ["id", "name", "language", "is_former"]


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrganisationIdentifier
        fields = ["id", "scheme", "value"]


class OrganisationNameSerializer(RecordSerializer):
    class Meta:
        model = OrganisationName
        fields = ["id", "version", "organisation", "name", "language", "is_former"]
        read_only_fields = READ_ONLY


class OrganisationIdentifierSerializer(RecordSerializer):
    class Meta:
        model = OrganisationIdentifier
        fields = ["id", "version", "organisation", "scheme", "value"]
        read_only_fields = READ_ONLY


class OrganisationSerializer(CountryFieldMixin, WarnsOfDuplicates):
    type = serializers.SlugRelatedField(
        slug_field="slug", queryset=OrganisationType.objects.all()
    )
    other_names = OtherNameSerializer(many=True, read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "version",
            "name",
            "acronym",
            "type",
            "parent",
            "country",
            "website",
            "email",
            "phone",
            "address",
            "notes",
            "is_active",
            "other_names",
            "identifiers",
            *STORED,
            "save_anyway",
        ]
        read_only_fields = [*READ_ONLY, *STORED]


class PersonSerializer(WarnsOfDuplicates):
    class Meta:
        model = Person
        fields = [
            "id",
            "version",
            "full_name",
            "email",
            "phone",
            "notes",
            "do_not_contact",
            *STORED,
            "save_anyway",
        ]
        read_only_fields = [*READ_ONLY, *STORED]


class PositionSerializer(RecordSerializer):
    class Meta:
        model = Position
        fields = [
            "id",
            "version",
            "person",
            "organisation",
            "title",
            "department",
            "since",
            "until",
            "notes",
        ]
        read_only_fields = READ_ONLY


class AssessmentSerializer(RecordSerializer):
    # Empty for an assessment loaded with the sample data or whose user
    # was deleted.
    assessed_by = serializers.SlugRelatedField(
        slug_field=get_user_model().USERNAME_FIELD, read_only=True, allow_null=True
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "version",
            "organisation",
            "influence",
            "interest",
            "stance",
            "note",
            "assessed_on",
            "assessed_by",
            "created_at",
        ]
        read_only_fields = [*READ_ONLY, "assessed_by", "created_at"]


class TopicSerializer(RecordSerializer):
    class Meta:
        model = Topic
        fields = ["id", "version", "name", "description"]
        read_only_fields = READ_ONLY


class MeetingSerializer(RecordSerializer):
    topics = serializers.SerializerMethodField(
        help_text=_("The agenda's topics, in the agenda's order (see agenda-items).")
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "version",
            "title",
            "starts_at",
            "ends_at",
            "date_only",
            "venue",
            "format",
            "status",
            "host",
            "initiators",
            "topics",
            "summary",
            "outcomes",
            "organisations_attended",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            *READ_ONLY,
            "organisations_attended",
            "created_at",
            "updated_at",
        ]

    def get_topics(self, meeting) -> list[int]:
        return [item.topic_id for item in meeting.agenda_items.all()]


class AgendaItemSerializer(RecordSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "version", "meeting", "topic", "order", "notes", "outcome"]
        read_only_fields = READ_ONLY
        # A small positive integer holds up to 32,767 on PostgreSQL and far
        # more on SQLite: the API and its schema say the same on both.
        extra_kwargs = {"order": {"max_value": 32_767}}


class AttendanceSerializer(RecordSerializer):
    class Meta:
        model = Attendance
        fields = [
            "id",
            "version",
            "meeting",
            "organisation",
            "person",
            "role",
            "status",
            "notes",
        ]
        read_only_fields = READ_ONLY


class FollowUpSerializer(RecordSerializer):
    class Meta:
        model = FollowUp
        fields = [
            "id",
            "version",
            "meeting",
            "action",
            "owner_organisation",
            "owner_person",
            "due_on",
            "status",
            "completed_on",
            "notes",
        ]
        read_only_fields = [*READ_ONLY, "completed_on"]

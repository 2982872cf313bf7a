"""The API's endpoints: one viewset a resource, reading through the same
querysets and filters as the HTML lists, each with its related rows fetched in
a fixed number of queries whatever the page size."""

from django.db.models import Prefetch
from django.http import JsonResponse
from django.urls import reverse
from django.utils.http import parse_etags as django_parse_etags
from django.utils.http import quote_etag
from django.utils.translation import gettext
from django.views.defaults import page_not_found
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from meetings.folding import PEOPLE_ORDER
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

from . import filters, serializers, sheets, writes
from .permissions import AddsAttendance, RolePermissions


def etag_of(obj):
    """A record's entity tag: its version, which every save moves on."""
    return quote_etag(str(obj.version))


class RecordViewSet(viewsets.ModelViewSet):
    """A resource: read by its id, with its version as the ``ETag`` (a client
    that sends that tag back in ``If-None-Match`` gets 304 and no body), and
    written through the model's admin (api/writes.py): a change or deletion
    names the version it is based on in ``If-Match``."""

    lookup_value_converter = "id"

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        etag = etag_of(obj)
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(obj).data, headers={"ETag": etag})

    def create(self, request, *args, **kwargs):
        return self._save(request, None, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        return self._save(request, self.get_object(), status.HTTP_200_OK, partial)

    def destroy(self, request, *args, **kwargs):
        writes.admin_delete(request, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _save(self, request, instance, answer, partial=False):
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj, _form = writes.admin_save(request, serializer, instance, partial=partial)
        # Read again as a GET reads it: the figures the save refreshed.
        saved = self.get_queryset().filter(pk=obj.pk).first()
        headers = {}
        if saved is None:
            # The record took another's place (an attendance row folded into
            # its people's, meetings/folding.py): the answer is that record.
            saved, answer = self.successor(obj), status.HTTP_200_OK
            headers["Content-Location"] = self.detail_url(saved)
        headers["ETag"] = etag_of(saved)
        if answer == status.HTTP_201_CREATED:
            headers["Location"] = self.detail_url(saved)
        return Response(self.get_serializer(saved).data, status=answer, headers=headers)

    def detail_url(self, obj):
        return reverse(f"api:{self.basename}-detail", kwargs={"pk": obj.pk})

    def successor(self, obj):
        """The record that took the place of ``obj``, saved and then gone."""
        raise NotImplementedError(f"{self.basename} records do not take others' place")


def parse_etags(header):
    return set(django_parse_etags(header)) if header else set()


class OrganisationTypeViewSet(RecordViewSet):
    """Organisation types: ministries, donors, agencies…"""

    queryset = OrganisationType.objects.all()
    serializer_class = serializers.OrganisationTypeSerializer
    filterset_class = None


class OrganisationViewSet(RecordViewSet):
    """Organisations, with their other names and identifiers. Filters as on
    /organisations/."""

    queryset = Organisation.objects.select_related("type").prefetch_related(
        Prefetch("other_names", OrganisationName.objects.order_by("name", "pk")),
        Prefetch(
            "identifiers", OrganisationIdentifier.objects.order_by("scheme", "pk")
        ),
    )
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filters.OrganisationApiFilter


class OrganisationNameViewSet(RecordViewSet):
    """An organisation's other names: in other languages and scripts, and
    former names. Also listed with each organisation."""

    queryset = OrganisationName.objects.all()
    serializer_class = serializers.OrganisationNameSerializer
    filterset_fields = ["organisation"]


class OrganisationIdentifierViewSet(RecordViewSet):
    """An organisation's identifiers (a tax number, an IATI identifier). Also
    listed with each organisation."""

    queryset = OrganisationIdentifier.objects.all()
    serializer_class = serializers.OrganisationIdentifierSerializer
    filterset_fields = ["organisation", "scheme"]


class PersonViewSet(RecordViewSet):
    """People. Filters as on /people/."""

    queryset = Person.objects.all()
    serializer_class = serializers.PersonSerializer
    filterset_class = filters.PersonApiFilter


class PositionViewSet(RecordViewSet):
    """Who works where, since and until when."""

    queryset = Position.objects.all()
    serializer_class = serializers.PositionSerializer
    filterset_fields = ["person", "organisation"]


class AssessmentViewSet(RecordViewSet):
    """Stakeholder assessments: influence, interest and stance, dated."""

    queryset = Assessment.objects.select_related("assessed_by")
    serializer_class = serializers.AssessmentSerializer
    filterset_fields = ["organisation"]


class TopicViewSet(RecordViewSet):
    """Agenda topics."""

    queryset = Topic.objects.all()
    serializer_class = serializers.TopicSerializer
    filterset_class = None


class MeetingViewSet(RecordViewSet):
    """Meetings, with their host, initiators and topics. Filters as on
    /meetings/."""

    queryset = Meeting.objects.prefetch_related(
        Prefetch("initiators", Organisation.objects.only("pk").order_by("pk")),
        Prefetch(
            "agenda_items",
            AgendaItem.objects.only("meeting", "topic", "order").order_by(
                "order", "pk"
            ),
        ),
    )
    serializer_class = serializers.MeetingSerializer
    filterset_class = filters.MeetingApiFilter

    @extend_schema(
        request=sheets.AttendanceSheetSerializer,
        # The plan (the preview), the import's result, or a refusal: the
        # plan with its rows' errors, or the request's wrong fields.
        responses={
            200: OpenApiTypes.OBJECT,
            201: OpenApiTypes.OBJECT,
            400: OpenApiTypes.OBJECT,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="attendance-sheet",
        # Writes attendance rows: the import's permission.
        permission_classes=[RolePermissions, AddsAttendance],
        filterset_class=None,
    )
    def attendance_sheet(self, request, pk=None):
        """The attendance of this meeting from the rows of a sign-in sheet:
        a preview, then the import of them all or none (docs/api.md)."""
        return sheets.attendance_sheet(request, self.get_object())


class AgendaItemViewSet(RecordViewSet):
    """A meeting's agenda: its topics in order, with notes and outcomes."""

    queryset = AgendaItem.objects.all()
    serializer_class = serializers.AgendaItemSerializer
    filterset_fields = ["meeting", "topic"]


@extend_schema_view(
    create=extend_schema(
        responses={
            201: serializers.AttendanceSerializer,
            200: OpenApiResponse(
                serializers.AttendanceSerializer,
                description="An organisation-only row that said nothing its "
                "people's rows at the meeting do not was folded into the first "
                "of them (by name): that row, at `Content-Location`.",
            ),
        }
    )
)
class AttendanceViewSet(RecordViewSet):
    """Who attended which meeting on behalf of which organisation. Filters as
    on /attendance/."""

    queryset = Attendance.objects.all()
    serializer_class = serializers.AttendanceSerializer
    filterset_class = filters.AttendanceApiFilter

    def successor(self, obj):
        # meetings.folding.attendance_fold moves what it keeps to the first
        # of the organisation's people.
        return (
            self.get_queryset()
            .filter(
                meeting_id=obj.meeting_id,
                organisation_id=obj.organisation_id,
                person__isnull=False,
            )
            .order_by(*PEOPLE_ORDER)
            .first()
        )


class FollowUpViewSet(RecordViewSet):
    """Agreed follow-ups, their owners and due dates. Filters as on
    /follow-ups/."""

    queryset = FollowUp.objects.all()
    serializer_class = serializers.FollowUpSerializer
    filterset_class = filters.FollowUpApiFilter


def not_found(request, exception):
    """The site's 404 (``handler404``): JSON under /api/, where a client
    expects it of every answer, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return page_not_found(request, exception)

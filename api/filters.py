"""The API's list filters: those of the HTML lists where there is one, with
the same parameters, meanings and error messages; a record's links (``?meeting=``,
``?organisation=``) where there is none.

A resource with no HTML list of its own filters by its links, named in its
viewset (``filterset_fields``). The lists' ``sort`` is left out: an API list
is read page by page in one order, the records' ids (api.pagination)."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes

from meetings.filters import AttendanceFilter, FollowUpFilter, MeetingFilter
from stakeholders.filters import OrganisationFilter, PersonFilter


class ListFilterBackend(DjangoFilterBackend):
    """django-filter's backend, whose 400 names each wrong parameter with the
    message the HTML list shows for it."""


def described(filterset):
    """Tell the schema what a record's filter takes: an id, or the slug for
    ``type``. drf-spectacular cannot see it where a method does the filtering,
    and would call each a string of no particular kind."""
    for lookup in filterset.declared_filters.values():
        if isinstance(lookup, django_filters.ModelChoiceFilter | MULTIPLE):
            slug = lookup.extra.get("to_field_name")
            set_override(
                lookup, "field", OpenApiTypes.STR if slug else OpenApiTypes.INT
            )
    return filterset


MULTIPLE = django_filters.ModelMultipleChoiceFilter


@described
class OrganisationApiFilter(OrganisationFilter):
    sort = None


@described
class PersonApiFilter(PersonFilter):
    sort = None


@described
class MeetingApiFilter(MeetingFilter):
    sort = None


@described
class FollowUpApiFilter(FollowUpFilter):
    sort = None


@described
class AttendanceApiFilter(AttendanceFilter):
    # The page's choice between its list and its pivot: no rows of its own.
    view = None
    sort = None

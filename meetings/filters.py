import django_filters
from django.db.models import Exists, OuterRef
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filters import SortFilter, in_local_days
from core.forms import DateRangeForm, PickerInput
from stakeholders.filters import TypeFilter
from stakeholders.models import Organisation, of_organisation_types

from .models import AgendaItem, Meeting, Topic


class MeetingFilterForm(DateRangeForm):
    date_range_fields = [("after", "before")]


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Title, venue or an organisation that took part"),
    )
    after = django_filters.DateFilter(
        label=pgettext_lazy("meetings on or after a date", "From"),
        method="filter_dates",
    )
    before = django_filters.DateFilter(
        label=pgettext_lazy("meetings on or before a date", "Until"),
        method="filter_dates",
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation took part"),
        help_text=_("Attended, hosted or initiated"),
        queryset=Organisation.objects.all(),
        method="filter_organisation",
        widget=PickerInput(reverse_lazy("organisations:suggest")),
    )
    type = TypeFilter(
        method="filter_type", help_text=_("Of an organisation that took part")
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Agenda topic"),
        queryset=Topic.objects.all(),
        method="filter_topic",
        widget=PickerInput(reverse_lazy("meetings:topic_suggest")),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Meeting.Status)
    sort = SortFilter(
        fields=[
            ("starts_at", "date"),
            ("title", "title"),
            ("host__name", "host"),
            ("status", "status"),
            ("organisations_attended", "organisations"),
        ],
        # The column headers' words, in each language.
        field_labels={
            "starts_at": _("Date"),
            "title": pgettext_lazy("meeting", "Title"),
            "host__name": _("Host"),
            "status": _("Status"),
            "organisations_attended": _("Organisations"),
        },
    )

    class Meta:
        model = Meeting
        fields = []
        form = MeetingFilterForm

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_dates(self, queryset, name, value):
        """``after`` and ``before`` together, applied once, on the local day."""
        data = self.form.cleaned_data
        first = "after" if data.get("after") else "before"
        if name != first:
            return queryset
        return queryset.filter(
            **in_local_days(
                "starts_at", after=data.get("after"), before=data.get("before")
            )
        )

    def filter_organisation(self, queryset, name, value):
        return queryset.taken_part_by(value)

    def filter_type(self, queryset, name, value):
        # The types taking part are stored on each meeting (meetings.stats).
        return queryset.filter(of_organisation_types(value)) if value else queryset

    def filter_topic(self, queryset, name, value):
        return queryset.filter(
            Exists(AgendaItem.objects.filter(meeting=OuterRef("pk"), topic=value))
        )

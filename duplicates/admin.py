"""The pairs ``find_duplicates`` found, for editors to review: the two
records side by side with the score and the reasons, best first, and the
action that marks a pair "not a duplicate" (never offered again)."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from core.admin import HamkorChangeList
from core.paginators import COUNT_LIMIT, CappedCountPaginator, count_limit_for

from .models import OrganisationMerge, OrganisationPair, PersonMerge, PersonPair


class ScoreFilter(admin.SimpleListFilter):
    title = _("score")
    parameter_name = "score"
    BANDS = {"90": (90, 101), "75": (75, 90), "0": (0, 75)}

    def lookups(self, request, model_admin):
        return [
            ("90", _("90 and above: very likely")),
            ("75", _("75 to 89: likely")),
            ("0", _("below 75: possible")),
        ]

    def queryset(self, request, queryset):
        if self.value() in self.BANDS:
            low, high = self.BANDS[self.value()]
            return queryset.filter(score__gte=low, score__lt=high)
        return queryset


class ReviewFilter(admin.SimpleListFilter):
    """To review (the default), or the pairs marked not a duplicate."""

    title = pgettext_lazy("duplicates", "status")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("dismissed", _("Not a duplicate"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("To review"),
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request, queryset):
        return queryset.filter(dismissed_at__isnull=self.value() != "dismissed")


class PairAdmin(admin.ModelAdmin):
    list_display = [
        "first_record",
        "second_record",
        "score",
        "reason_list",
        "found_at",
        "merge_link",
    ]
    list_display_links = None
    list_filter = [ReviewFilter, ScoreFilter]
    list_select_related = ["first", "second"]
    sortable_by = ["score", "found_at"]
    ordering = ["-score", "id"]
    actions = ["dismiss"]
    show_full_result_count = False
    list_per_page = 50
    paginator = CappedCountPaginator
    detail_view = None  # the name of the public detail page of a record
    merge_view = None  # the name of the admin's merge page of two records

    def get_changelist(self, request, **kwargs):
        return HamkorChangeList

    def get_paginator(self, request, queryset, per_page, **kwargs):
        limit = count_limit_for(request.GET.get(PAGE_VAR), per_page, COUNT_LIMIT)
        return self.paginator(queryset, per_page, count_limit=limit, **kwargs)

    # Pairs are found (manage.py find_duplicates), never typed in, and a pair
    # is only ever marked "not a duplicate": no add, change form or delete.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    fields = readonly_fields = [
        "first_record",
        "second_record",
        "score",
        "reason_list",
        "found_at",
        "dismissed_at",
        "dismissed_by",
    ]

    def _record(self, record):
        label = str(record)
        return format_html(
            '<a href="{}">{}</a> <span class="quiet">#{}</span>',
            reverse(self.detail_view, args=[record.pk]),
            label,
            record.pk,
        )

    @admin.display(description=_("record"))
    def first_record(self, pair):
        return self._record(pair.first)

    @admin.display(description=_("possible duplicate"))
    def second_record(self, pair):
        return self._record(pair.second)

    @admin.display(description=_("reasons"))
    def reason_list(self, pair):
        return "; ".join(str(label) for label in pair.reason_labels())

    @admin.display(description=_("merge"))
    def merge_link(self, pair):
        return format_html(
            '<a href="{}">{}</a>',
            reverse(self.merge_view, args=[pair.first_id, pair.second_id]),
            _("Compare and merge…"),
        )

    @admin.action(
        description=_("Mark the selected pairs as not duplicates"),
        permissions=["change"],
    )
    def dismiss(self, request, queryset):
        marked = queryset.filter(dismissed_at__isnull=True).update(
            dismissed_at=timezone.now(), dismissed_by=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d pair marked not a duplicate: it will not be offered again.",
                "%(count)d pairs marked not duplicates: they will not be offered "
                "again.",
                marked,
            )
            % {"count": marked},
            messages.SUCCESS,
        )


@admin.register(OrganisationPair)
class OrganisationPairAdmin(PairAdmin):
    detail_view = "organisations:detail"
    merge_view = "admin:stakeholders_organisation_merge_with"


@admin.register(PersonPair)
class PersonPairAdmin(PairAdmin):
    detail_view = "people:detail"
    merge_view = "admin:stakeholders_person_merge_with"


class MergeAdmin(admin.ModelAdmin):
    """Who merged which record into which, when, the merged record as it was
    and what moved: for administrators to read; nobody changes or deletes
    one."""

    list_display = ["old_label", "old_id", "survivor_record", "merged_by", "merged_at"]
    list_display_links = ["old_label"]
    list_select_related = ["survivor", "merged_by"]
    ordering = ["-merged_at", "-id"]
    sortable_by = ["merged_at"]
    show_full_result_count = False
    list_per_page = 50
    paginator = CappedCountPaginator
    fields = readonly_fields = [
        "old_label",
        "old_id",
        "survivor_record",
        "merged_by",
        "merged_at",
        "old_record",
        "choices",
        "moved",
    ]
    detail_view = None

    def get_changelist(self, request, **kwargs):
        return HamkorChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("kept"))
    def survivor_record(self, merge):
        return format_html(
            '<a href="{}">{}</a> <span class="quiet">#{}</span>',
            reverse(self.detail_view, args=[merge.survivor_id]),
            merge.survivor,
            merge.survivor_id,
        )


@admin.register(OrganisationMerge)
class OrganisationMergeAdmin(MergeAdmin):
    detail_view = "organisations:detail"


@admin.register(PersonMerge)
class PersonMergeAdmin(MergeAdmin):
    detail_view = "people:detail"

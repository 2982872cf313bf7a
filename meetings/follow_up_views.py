"""The follow-up worklist (/follow-ups/): the filtered list, its exports, the
row form that changes a status, and the start page's counts of what is due.

A module of its own: meetings/views.py holds the meetings' pages and is near
the size at which a module is two concerns."""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import F
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import View

from core.exports import Column, choice_labels
from core.views import FilteredListView
from stakeholders.models import attach_local_names

from .filters import FollowUpFilter
from .forms import FollowUpStatusForm
from .models import PENDING, FollowUp
from .services import StaleChange, follow_up_status_change

# "Due soon" on the start page: pending follow-ups due from today to this
# many days after it.
DUE_SOON_DAYS = 14


class FollowUpListView(FilteredListView):
    """The worklist: every follow-up, due first (undated last), with its
    meeting and owners; overdue rows say so in words and colour; editors
    change a row's status in place (``FollowUpStatusView``).

    Queries: the count and the page (meeting and owners joined), the owner
    organisations' names in the reader's language, and one for each object
    named by the filter (organisation, person, meeting)."""

    permission_required = "meetings.view_followup"
    model = FollowUp
    filterset_class = FollowUpFilter
    template_name = "meetings/follow_up_list.html"
    export_filename = "follow-ups"
    export_columns = [
        Column(pgettext_lazy("follow-up", "Action"), "action"),
        Column(_("Due"), "due_on"),
        Column(_("Status"), "status", display=choice_labels),
        Column(_("Completed"), "completed_on"),
        Column(_("Owner organisation"), "owner_organisation__name"),
        Column(_("Owner person"), "owner_person__full_name"),
        Column(_("Meeting date"), "meeting__starts_at", date_only="meeting__date_only"),
        Column(_("Meeting"), "meeting__title"),
        Column(_("Notes"), "notes"),
    ]

    def get_queryset(self):
        return (
            FollowUp.objects.select_related(
                "meeting", "owner_organisation", "owner_person"
            )
            # The joined rows' long text is never shown here.
            .defer(
                "search_key",
                "meeting__summary",
                "meeting__outcomes",
                "meeting__search_key",
                "owner_organisation__notes",
                "owner_organisation__search_key",
                "owner_person__notes",
                "owner_person__search_key",
            )
            .order_by(F("due_on").asc(nulls_last=True), "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["object_list"]
        attach_local_names(follow_up.owner_organisation for follow_up in rows)
        context["status_choices"] = FollowUp.Status.choices
        context["can_change"] = self.request.user.has_perm("meetings.change_followup")
        return context


class FollowUpStatusView(PermissionRequiredMixin, View):
    """POST: the status of one follow-up, from its row of the worklist, through
    ``services.follow_up_status_change``: refused, with a message naming who
    changed the row and when, if it changed since the list was read. Back to
    the list as it was filtered (``next``)."""

    permission_required = "meetings.change_followup"
    http_method_names = ["post"]

    def post(self, request, pk):
        form = FollowUpStatusForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(
                form.errors.as_text(), content_type="text/plain; charset=utf-8"
            )
        try:
            follow_up = follow_up_status_change(
                follow_up_id=pk,
                status=form.cleaned_data["status"],
                seen_version=form.cleaned_data["seen_version"],
                user=request.user,
            )
        except StaleChange as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("“%(action)s” is now %(status)s.")
                % {
                    "action": str(follow_up),
                    "status": follow_up.get_status_display(),
                },
            )
        return redirect(self.next_url(form.cleaned_data["next"]))

    def next_url(self, url):
        """The list the form was on, when ``url`` is one of this site's."""
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}, require_https=False
        ):
            return url
        return reverse("follow_ups:list")


def follow_up_counts(today=None):
    """The start page's figures: pending follow-ups overdue and due within
    ``DUE_SOON_DAYS``, each with the worklist's address that lists the same
    rows (one query)."""
    today = today or timezone.localdate()
    soon_until = today + datetime.timedelta(days=DUE_SOON_DAYS)
    list_url = reverse("follow_ups:list")
    pending = "&".join(f"status={status.value}" for status in PENDING)
    return {
        **FollowUp.objects.due_counts(DUE_SOON_DAYS, today),
        "overdue_url": f"{list_url}?overdue=true",
        "due_soon_url": (
            f"{list_url}?{pending}&due_after={today.isoformat()}"
            f"&due_before={soon_until.isoformat()}"
        ),
        "due_soon_days": DUE_SOON_DAYS,
    }

"""Calendar subscriptions: a user picks organisations and organisation types
on their own page (/accounts/calendar/) and gets a secret address,
``/calendar/<token>.ics``, that any calendar program can subscribe to. It
serves the meetings those organisations took part in, hosted or initiated,
and those of organisations of those types, from a year back on, as RFC 5545
events whose UIDs never change (cancelled ones as STATUS:CANCELLED, so that a
calendar strikes them out).

The address is the credential: calendar programs send no cookies. Only its
hash is stored; it is shown once, when made. Making a new one ends the old;
"stop" deletes the subscription; an administrator can delete anyone's in the
admin. The feed answers only while its user is active and may read meetings.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from core.forms import PickerInput
from core.tokens import new_token, record_use, token_hash
from stakeholders.models import Organisation, OrganisationType, of_organisation_types

from .models import Attendance, CalendarFeed, Meeting
from .views import agenda_prefetch, calendar_of, meeting_event

# A feed holds the meetings from this long ago on (and every later one), at
# most FEED_LIMIT of them, the latest: a calendar program re-reads the whole
# file every hour or so.
FEED_PAST = datetime.timedelta(days=365)
FEED_LIMIT = 2_000


def feed_meetings(feed, *, since=None):
    """The meetings of ``feed``'s organisations and types, from ``since``
    (a year ago) on, the latest FEED_LIMIT, oldest first."""
    organisations = list(feed.organisations.values_list("pk", flat=True))
    types = list(feed.types.all())
    if not organisations and not types:
        return []
    taking_part = (
        Attendance.objects.taking_part()
        .filter(organisation__in=organisations)
        .values("meeting")
    )
    initiated = Meeting.initiators.through.objects.filter(
        organisation__in=organisations
    ).values("meeting")
    chosen = (
        Q(pk__in=taking_part)
        | Q(host__in=organisations)
        | Q(pk__in=initiated)
        | of_organisation_types(types)
    )
    since = since or timezone.now() - FEED_PAST
    meetings = (
        Meeting.objects.filter(chosen, starts_at__gte=since)
        .prefetch_related(agenda_prefetch())
        .order_by("-starts_at", "-pk")[:FEED_LIMIT]
    )
    return list(reversed(meetings))


class CalendarFeedView(View):
    """``/calendar/<token>.ics``: the feed itself, for calendar programs.

    Queries: the feed with its user, the user's permissions, the
    organisations and types chosen, the meetings with their agendas; an
    UPDATE of when it was last read at most once an hour."""

    def get(self, request, token):
        feed = (
            CalendarFeed.objects.select_related("user")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if (
            feed is None
            or not feed.user.is_active
            or not feed.user.has_perm("meetings.view_meeting")
        ):
            raise Http404(_("No such calendar."))
        record_use(feed)
        events = [
            meeting_event(
                meeting,
                url=request.build_absolute_uri(
                    reverse("meetings:detail", args=[meeting.pk])
                ),
            )
            for meeting in feed_meetings(feed)
        ]
        calendar = calendar_of(
            events,
            x_wr_calname="Hamkor",
            x_wr_caldesc=str(_("Meetings of the organisations you follow")),
            x_published_ttl="PT1H",
        )
        response = HttpResponse(
            calendar.to_ical(), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = 'inline; filename="hamkor.ics"'
        response["Cache-Control"] = "private, max-age=900"
        return response


class FeedForm(forms.Form):
    """What a feed holds: types to tick, organisations added one at a time
    (the picker: no page lists 100,000 organisations) and removed by
    unticking."""

    types = forms.ModelMultipleChoiceField(
        label=_("Organisation types"),
        queryset=OrganisationType.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every meeting an organisation of these types took part in."),
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations followed"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Untick one to stop following it."),
    )
    add_organisation = forms.ModelChoiceField(
        label=_("Add an organisation"),
        queryset=Organisation.objects.all(),
        widget=PickerInput(reverse_lazy("organisations:suggest")),
        required=False,
        error_messages={
            "invalid_choice": _(
                "No organisation has this number: pick one from the list."
            )
        },
    )

    def __init__(self, *args, feed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if feed is not None:
            chosen = feed.organisations.order_by("name")
            self.fields["organisations"].queryset = chosen
            self.fields["organisations"].initial = list(chosen)
            self.fields["types"].initial = list(feed.types.all())

    def save(self, feed):
        feed.types.set(self.cleaned_data["types"])
        organisations = list(self.cleaned_data["organisations"])
        if self.cleaned_data.get("add_organisation"):
            organisations.append(self.cleaned_data["add_organisation"])
        feed.organisations.set(organisations)


class CalendarSettingsView(LoginRequiredMixin, TemplateView):
    """``/accounts/calendar/``: one's calendar subscription: what it holds,
    when a calendar last read it, and its address made, made anew or
    stopped. The address is shown once, on the page that made it."""

    template_name = "meetings/calendar_feed.html"
    extra_context = {"section": "calendar"}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(
            "meetings.view_meeting"
        ):
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)

    def feed(self):
        return CalendarFeed.objects.filter(user=self.request.user).first()

    def get_context_data(self, **kwargs):
        feed = kwargs.pop("feed", None) or self.feed()
        return super().get_context_data(
            feed=feed,
            form=kwargs.pop("form", None) or FeedForm(feed=feed),
            **kwargs,
        )

    def post(self, request):
        feed = self.feed()
        action = request.POST.get("action")
        if action == "stop":
            if feed is not None:
                feed.delete()
                messages.success(
                    request,
                    _(
                        "Your calendar address no longer works. Remove the "
                        "subscription from your calendar program too."
                    ),
                )
            return redirect("calendar_settings")
        form = FeedForm(request.POST, feed=feed)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(feed=feed, form=form), status=400
            )
        token = None
        if feed is None or action == "new_address":
            token = new_token()
            if feed is None:
                feed = CalendarFeed.objects.create(
                    user=request.user, token_hash=token_hash(token)
                )
            else:
                feed.token_hash = token_hash(token)
                feed.last_used_at = None
                feed.save(update_fields=["token_hash", "last_used_at"])
        form.save(feed)
        if token is None:
            messages.success(request, _("Your calendar was saved."))
            return redirect("calendar_settings")
        # Shown once: only its hash is kept.
        address = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
        return self.render_to_response(
            self.get_context_data(feed=feed, form=FeedForm(feed=feed), address=address)
        )

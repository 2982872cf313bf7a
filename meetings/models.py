import datetime
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import VersionedModel, choice_label
from core.search import TRIGRAM, closeness, generated_search_key
from stakeholders.models import Organisation, Person, organisation_types_field


class TopicQuerySet(models.QuerySet):
    def search(self, term):
        """Topics whose name contains ``term`` in any spelling (see
        ``core.names.search_terms``). A few hundred rows: read in one pass."""
        term = term.strip()
        if not term:
            return self
        return self.filter(search_key__includes=term)

    def closeness(self, term):
        """How closely each topic's name matches ``term``
        (``core.search.closeness``)."""
        return closeness(term)


class Topic(VersionedModel):
    """A reusable agenda subject, e.g. "national health information system"."""

    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    search_key = generated_search_key("name")

    history = HistoricalRecords(excluded_fields=["version", "search_key"])
    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda topic")
        verbose_name_plural = _("agenda topics")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="topic_name_unique_ci",
                violation_error_code="topic_name_unique_ci",
                violation_error_message=_("A topic with this name already exists."),
            ),
        ]

    constraint_error_fields = {"topic_name_unique_ci": "name"}

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('meetings:list')}?topic={self.pk}"


# A term that finds this many organisations or more (a word as common as
# "health" or "ministry" at national scale) finds meetings by their title
# and venue alone: the meetings of a thousand organisations are most
# meetings, and collecting them all took 160-950 ms on PostgreSQL at XL
# ("health": 10,800 organisations, 240,000 attendance rows; "sample": every
# organisation), past the list's 150 ms.
BROAD_ORGANISATIONS = 1000


class MeetingQuerySet(models.QuerySet):
    def search(self, term, *, organisations=True):
        """Meetings whose title or venue contains ``term`` in any spelling
        (see ``core.names.search_terms``), and, with ``organisations``, those
        that an organisation whose search finds ``term`` (its name, acronym
        or another name) took part in as ``taken_part_by`` says: attended,
        hosted or initiated. ``?q=GIZ`` finds every meeting GIZ took part
        in; a term that finds ``BROAD_ORGANISATIONS`` or more, only titles
        and venues.

        With ``organisations``, costs a query now: the organisations found
        (up to the limit), read once rather than in each part of the
        meetings' query and of its count."""
        term = term.strip()
        if not term:
            return self
        # A set of ids (IN), from the search index or, for a term of one or
        # two characters, one read of the table: see core.search.Includes.
        titled = Q(search_key__includes=term)
        if not organisations:
            return self.filter(titled)
        # An organisation found by its name and by another name counts twice.
        found = list(Organisation.objects.search_ids(term)[:BROAD_ORGANISATIONS])
        if not found or len(found) >= BROAD_ORGANISATIONS:
            return self.filter(titled)
        # One set of meeting ids, each part read by an index: the meetings'
        # search index, the attendance and initiator rows by their index on
        # the organisation, the meetings hosted by the host index. An OR of
        # the parts would have PostgreSQL read every meeting.
        ids = sorted(set(found))
        return self.filter(
            pk__in=Meeting.objects.filter(titled)
            .order_by()
            .values("pk")
            .union(
                Attendance.objects.taking_part()
                .filter(organisation__in=ids)
                .order_by()
                .values("meeting"),
                Meeting.initiators.through.objects.filter(organisation__in=ids).values(
                    "meeting"
                ),
                Meeting.objects.filter(host__in=ids).order_by().values("pk"),
                all=True,
            )
        )

    def taken_part_by(self, organisation):
        """Meetings ``organisation`` attended (not declined or absent), hosted
        or initiated.

        One organisation's rows are a short list next to all meetings: each
        set of meeting ids is read once (IN) rather than probed once per
        meeting (EXISTS), which the OR would force on every meeting.

        The busiest organisation's 33,000 meetings at XL are collected and
        sorted for one page too. Reading them in the list's order instead
        (``core.models.in_list_order``) served SQLite alone and went in issue
        11: on SQLite at XL its detail page takes 220 ms and
        /meetings/?organisation= 111 ms (143 and 93 with the walk, in a run
        where they took 334 and 102 without it), at L 83 and 31 ms."""
        attended = (
            Attendance.objects.taking_part()
            .filter(organisation=organisation)
            .values("meeting")
        )
        initiated = Meeting.initiators.through.objects.filter(
            organisation=organisation
        ).values("meeting")
        return self.filter(
            Q(pk__in=attended) | Q(host=organisation) | Q(pk__in=initiated)
        )


class Meeting(VersionedModel):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", pgettext_lazy("meeting status", "Cancelled")

    title = models.CharField(pgettext_lazy("meeting", "title"), max_length=255)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    date_only = models.BooleanField(
        _("date only"),
        default=False,
        help_text=_(
            "The time of day was not recorded: show and export the date alone."
        ),
    )
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    format = models.CharField(
        _("format"), max_length=20, choices=Format, default=Format.IN_PERSON
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.PLANNED
    )
    host = models.ForeignKey(
        Organisation,
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
    )
    initiators = models.ManyToManyField(
        Organisation,
        verbose_name=_("initiated by"),
        blank=True,
        related_name="initiated_meetings",
    )
    topics = models.ManyToManyField(
        Topic,
        verbose_name=_("agenda"),
        through="AgendaItem",
        related_name="meetings",
    )
    summary = models.TextField(pgettext_lazy("meeting", "summary"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    search_key = generated_search_key("title", "venue")
    # Derived from the attendance rows and kept right by meetings.stats:
    # distinct organisations taking part (invited, confirmed or attended).
    organisations_attended = models.PositiveIntegerField(
        _("organisations taking part"), default=0, editable=False
    )
    # Their types (meetings?type), kept right by meetings.stats.
    organisation_types = organisation_types_field()

    history = HistoricalRecords(
        m2m_fields=[initiators],
        excluded_fields=[
            "version",
            "search_key",
            "organisations_attended",
            "organisation_types",
        ],
    )
    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        # Meetings in a date range, newest first: the meetings list, its
        # after/before filter and the admin's year filter; with the status,
        # the start page's meetings per month are counted from the index
        # alone (meetings/dashboard.py, meetings_per_month: 8,000 meetings
        # at XL, 18 → 7-11 ms on SQLite, 6-7 → 3.5 ms on PostgreSQL).
        indexes = [
            models.Index(fields=["starts_at", "status"], name="meeting_starts_at_idx"),
            # Newest first with ties by key: the attendance list walks the
            # meetings along it, each meeting's rows after the other's
            # (meetings/matrix.py; core.models.JoinedKey). The index above,
            # with the status between, has no such order.
            models.Index(fields=["starts_at", "id"], name="meeting_newest_idx"),
            # The list sorted by organisations taking part, most first.
            models.Index(
                fields=["-organisations_attended", "id"],
                name="meeting_organisations_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="meeting_ends_after_it_starts",
                violation_error_code="meeting_ends_after_it_starts",
                violation_error_message=_("A meeting must end after it starts."),
            ),
        ]

    constraint_error_fields = {"meeting_ends_after_it_starts": "ends_at"}

    def get_status_display(self):
        return choice_label(self.Status, self.status)

    def get_format_display(self):
        return choice_label(self.Format, self.format)

    def __str__(self):
        return f"{date_format(self.local_start.date())} — {self.title}"

    def get_absolute_url(self):
        return reverse("meetings:detail", args=[self.pk])

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at)

    def default_attendance_status(self, *, host=False):
        """The status of an attendance row recorded without one: attended at a
        meeting held (or started in the past and not cancelled), else
        invited; the host of a meeting to come has confirmed."""
        held = self.status == self.Status.HELD or (
            self.status != self.Status.CANCELLED
            and self.starts_at is not None
            and self.starts_at <= timezone.now()
        )
        if held:
            return Attendance.Status.ATTENDED
        return Attendance.Status.CONFIRMED if host else Attendance.Status.INVITED


def _initiator_name(row):
    return str(row.organisation)


# Meeting.initiators' table, which Django creates and names itself, once, at
# import: "Meeting-organisation relationship", its rows "Meeting_initiators
# object (3)". A delete confirmation lists these rows; named here in the
# reader's language and by the organisation.
Initiator = Meeting.initiators.through
Initiator._meta.verbose_name = _("initiating organisation")
Initiator._meta.verbose_name_plural = _("initiating organisations")
Initiator.__str__ = _initiator_name


class AgendaItem(VersionedModel):
    """A topic on one meeting's agenda, in order, with what was said about it."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        on_delete=models.PROTECT,
        related_name="agenda_items",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "topic"],
                name="agendaitem_topic_once_per_meeting",
                violation_error_code="agendaitem_topic_once_per_meeting",
                violation_error_message=_("This topic is already on the agenda."),
            ),
        ]

    constraint_error_fields = {"agendaitem_topic_once_per_meeting": "topic"}

    def __str__(self):
        return f"{self.order}. {self.topic}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()


class AttendanceQuerySet(models.QuerySet):
    def taking_part(self):
        """Rows of organisations and people who took, or are to take, part:
        invited, confirmed or attended; not declined or absent."""
        return self.exclude(
            status__in=[Attendance.Status.DECLINED, Attendance.Status.ABSENT]
        )


class Attendance(VersionedModel):
    """One organisation, and when known one person, at one meeting.

    The organisation is the one the person attended on behalf of, stored here
    rather than derived from their current position: people change jobs.
    """

    class Role(models.TextChoices):
        HOST = "host", _("Host")
        PRESENTER = "presenter", _("Presenter")
        PARTICIPANT = "participant", _("Participant")
        OBSERVER = "observer", _("Observer")

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        CONFIRMED = "confirmed", _("Confirmed")
        ATTENDED = "attended", _("Attended")
        DECLINED = "declined", _("Declined")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
        help_text=_("Leave empty when only the organisation is known."),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role, default=Role.PARTICIPANT
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.ATTENDED
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords(excluded_fields=["version"])
    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting_id", "pk"]
        # Read without touching the table (SQLite and PostgreSQL alike):
        # - by organisation: its meetings attended and last met
        #   (meetings/stats.py), meetings?organisation, people?organisation and
        #   people?type (the people of an organisation's rows);
        # - by meeting: organisations taking part in a meeting, and
        #   organisations?attended_after/before and meetings?type (the
        #   organisations of a meeting's rows).
        indexes = [
            models.Index(
                fields=["organisation", "status", "meeting", "person"],
                name="attendance_organisation_idx",
            ),
            models.Index(
                fields=["meeting", "status", "organisation"],
                name="attendance_meeting_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organisation", "person"],
                name="attendance_person_once_per_organisation",
                violation_error_code="attendance_person_once_per_organisation",
                violation_error_message=_(
                    "This person is already recorded at this meeting for this "
                    "organisation."
                ),
            ),
            # NULLs are distinct in the constraint above, so organisation-only
            # rows need their own.
            models.UniqueConstraint(
                fields=["meeting", "organisation"],
                condition=Q(person__isnull=True),
                name="attendance_organisation_once_without_person",
                violation_error_code="attendance_organisation_once_without_person",
                violation_error_message=_(
                    "This organisation is already recorded at this meeting without a "
                    "person."
                ),
            ),
        ]

    constraint_error_fields = {
        "attendance_person_once_per_organisation": "person",
        "attendance_organisation_once_without_person": "organisation",
    }

    def get_role_display(self):
        return choice_label(self.Role, self.role)

    def get_status_display(self):
        return choice_label(self.Status, self.status)

    def __str__(self):
        who = (
            f"{self.person}, {self.organisation}"
            if self.person_id
            else str(self.organisation)
        )
        return _("%(who)s at %(meeting)s") % {"who": who, "meeting": self.meeting}

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()


class FollowUpQuerySet(models.QuerySet):
    def pending(self):
        """Follow-ups still to be done: open or in progress."""
        return self.filter(status__in=PENDING)

    def due_counts(self, days, today=None):
        """How many pending follow-ups are ``overdue`` (due before ``today``,
        the local day) and ``due_soon`` (due from ``today`` to ``days`` days
        after it), in one query."""
        today = today or timezone.localdate()
        return self.pending().aggregate(
            overdue=models.Count("pk", filter=Q(due_on__lt=today)),
            due_soon=models.Count(
                "pk",
                filter=Q(
                    due_on__gte=today,
                    due_on__lte=today + datetime.timedelta(days=days),
                ),
            ),
        )

    def search(self, term):
        """Follow-ups whose action or notes contain ``term`` in any spelling
        (``core.names.search_terms``), or whose owner organisation (its name,
        acronym or another name) or owner person (name or email) does.

        Costs two queries now: the organisations and the people found (up to
        ``BROAD_ORGANISATIONS`` each), read once rather than in each part of
        the list's query and of its count. A term that finds more of either
        searches the actions and notes alone, as the meetings' search does,
        and so does a term too short for the search indexes (``TRIGRAM``):
        it would read every organisation and every person."""
        term = term.strip()
        if not term:
            return self
        found = Q(search_key__includes=term)
        if len(term) < TRIGRAM:
            return self.filter(found)
        organisations = list(
            Organisation.objects.search_ids(term)[:BROAD_ORGANISATIONS]
        )
        if organisations and len(organisations) < BROAD_ORGANISATIONS:
            found |= Q(owner_organisation__in=sorted(set(organisations)))
        people = list(
            Person.objects.search(term)
            .order_by()
            .values_list("pk", flat=True)[:BROAD_ORGANISATIONS]
        )
        if people and len(people) < BROAD_ORGANISATIONS:
            found |= Q(owner_person__in=sorted(people))
        return self.filter(found)


class FollowUp(VersionedModel):
    """An action agreed at a meeting."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", pgettext_lazy("follow-up status", "Cancelled")

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    action = models.TextField(pgettext_lazy("follow-up", "action"))
    owner_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("owner organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    owner_person = models.ForeignKey(
        Person,
        verbose_name=_("owner person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.OPEN
    )
    # Set by record_completion, which every write of the status calls.
    completed_on = models.DateField(
        _("completed"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The day it was marked done."),
    )
    notes = models.TextField(_("notes"), blank=True)
    search_key = generated_search_key("action", "notes")

    history = HistoricalRecords(excluded_fields=["version", "search_key"])
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = [F("due_on").asc(nulls_last=True), "pk"]
        # The list's order, (due_on, id): a deep page's keys read from the
        # index (PostgreSQL's btree keeps NULLs last, as the order wants)
        # rather than every follow-up read from the table and sorted to skip
        # all but 50. The stored search key (meetings 0014) made each row
        # some 40 % wider, and the admin's page 1,000 at XL missed its 80 ms
        # (81.7 ms, 19.4 of it SQL). With 50,480 follow-ups (XL's number) on
        # PostgreSQL, that page's SQL took 38 ms without the index and 17.6
        # with it. Still none on (status, due_on): ?sort=status 60 / 35 ms.
        # The start page's dashboard (issue 13) earned a partial one: its
        # five most overdue (WHERE status IN (PENDING) AND due_on < today
        # ORDER BY due_on, id LIMIT 5) took 12-18 ms of a scan and a sort at
        # XL, and 0.1 ms from it, which also counts its overdue and due soon
        # (14 ms -> 4 ms, from the index alone): the page, under load, from
        # about 150 to 120 ms. The statuses as PENDING's (defined below).
        indexes = [
            models.Index(fields=["due_on", "id"], name="follow_up_due_idx"),
            models.Index(
                fields=["due_on", "id"],
                condition=Q(status__in=["open", "in_progress"]),
                name="followup_pending_due_idx",
            ),
        ]

    def get_status_display(self):
        return choice_label(self.Status, self.status)

    @property
    def is_pending(self):
        return self.status in PENDING

    @property
    def overdue_days(self):
        """How many days past its due day a pending follow-up is today (the
        local day); 0 when it is not overdue."""
        if not self.is_pending or self.due_on is None:
            return 0
        return max(0, (timezone.localdate() - self.due_on).days)

    def record_completion(self, previous_status, *, today=None):
        """Keep ``completed_on`` with the status just set, ``previous_status``
        being the one stored before (None for a new follow-up): the day it
        became done (``today``, the local day, by default), kept while it
        stays done, cleared when it is reopened or cancelled. Every write of
        a follow-up's status calls this: the services, the admin's forms and
        its "mark done" action."""
        if self.status != self.Status.DONE:
            self.completed_on = None
        elif previous_status != self.Status.DONE:
            self.completed_on = today or timezone.localdate()

    def __str__(self):
        # What Truncator(...).chars(80) gives, without its work when the
        # action fits (most do): it looks up the ellipsis's translation and
        # walks each character, and the admin's list names each of its 50
        # rows twice (some 7 % of the page's CPU in a profile).
        action = unicodedata.normalize("NFC", self.action)
        if len(action) <= ACTION_CHARS:
            return action
        return Truncator(action).chars(ACTION_CHARS)

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()


# A follow-up's name (its __str__): its action up to this many characters.
ACTION_CHARS = 80

# Follow-ups still to be done: what "overdue" and "due soon" count (and
# followup_pending_due_idx's condition holds).
PENDING = [FollowUp.Status.OPEN, FollowUp.Status.IN_PROGRESS]


class CalendarFeed(models.Model):
    """A user's calendar subscription: a secret address
    (``/calendar/<token>.ics``) that serves the meetings of the organisations
    and types they picked to any calendar program (meetings/feeds.py).

    Only a hash of the token is stored: the address is shown once, when made;
    a user who lost it makes a new one, which ends the old. Deleting the feed
    ends it too (the user, or an administrator for anyone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("organisations"),
        blank=True,
        related_name="+",
    )
    types = models.ManyToManyField(
        "stakeholders.OrganisationType",
        verbose_name=_("organisation types"),
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("address made"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last read"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["user__username"]

    def __str__(self):
        return _("Calendar feed of %(user)s") % {"user": self.user}

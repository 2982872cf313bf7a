"""Stakeholder assessments: how much an organisation matters (influence,
interest) and where it stands (stance), as dated history. The latest
assessment of each organisation places it on the stakeholder map (/map/).

A module of its own: stakeholders/models.py is near the size at which a
module is two concerns. models.py imports ``Assessment`` from here so that
Django finds it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import VersionedModel

SCALE_MIN, SCALE_MAX = 1, 5
# From this score up, influence or interest counts as "high": the map's
# quadrants split the 1-5 scale at its middle, 3 and up being high.
HIGH = 3


def scale_field(verbose_name, help_text):
    return models.PositiveSmallIntegerField(
        verbose_name,
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)],
        help_text=help_text,
    )


class AssessmentQuerySet(models.QuerySet):
    def latest_per_organisation(self, on=None, organisations=None):
        """Each organisation's latest assessment (on or before the day ``on``,
        when given), in one query: those first of their organisation in
        (assessed_on DESC, id DESC), the order of ``assessment_latest_idx``.

        On PostgreSQL a ``DISTINCT ON (organisation)`` read of that index
        gives their keys (IN); elsewhere each row is tested with a correlated
        subquery that reads one index entry. On PostgreSQL at L with the
        assessments raised to about the XL sample's number (16,107 of 8,220
        organisations), counting them took 81 ms with the subquery and 25 ms
        with DISTINCT ON (best of five, on a loaded machine); a map page runs
        it three times (count, table, marks). SQLite serves scale L (1,785
        assessments), where the subquery takes a few ms.

        ``organisations`` (ids) keeps to those: the map's arrows ask for the
        drawn organisations' places on the compared day, read from their own
        index entries rather than every organisation's first."""
        newest = Assessment.objects.all()
        rows = self
        if organisations is not None:
            newest = newest.filter(organisation__in=organisations)
            rows = rows.filter(organisation__in=organisations)
        if on is not None:
            newest = newest.filter(assessed_on__lte=on)
            rows = rows.filter(assessed_on__lte=on)
        if connections[self.db].vendor == "postgresql":
            firsts = (
                newest.order_by("organisation_id", "-assessed_on", "-pk")
                .distinct("organisation_id")
                .values("pk")
            )
            return rows.filter(pk__in=firsts)
        newest = newest.filter(organisation=OuterRef("organisation"))
        newest = newest.order_by("-assessed_on", "-pk").values("pk")[:1]
        return rows.filter(pk=Subquery(newest))


class Assessment(VersionedModel):
    """One dated judgement of an organisation. A new assessment is a new row:
    an earlier one is never overwritten, so the map can show how positions
    moved (``?compare=``) and the organisation page its history."""

    class Stance(models.TextChoices):
        SUPPORTIVE = "supportive", _("Supportive")
        NEUTRAL = "neutral", _("Neutral")
        OPPOSED = "opposed", _("Opposed")
        UNKNOWN = "unknown", _("Unknown")

    # PROTECT, as attendance and positions: an assessment is a dated record of
    # someone's judgement, and deleting an organisation must not silently
    # take it along. An organisation that was assessed is marked inactive.
    organisation = models.ForeignKey(
        "stakeholders.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    influence = scale_field(
        _("influence"),
        _("1 (little) to 5 (decisive): how much it can shape the programme."),
    )
    interest = scale_field(
        _("interest"),
        _("1 (little) to 5 (very high): how much the programme concerns it."),
    )
    stance = models.CharField(
        _("stance"), max_length=20, choices=Stance.choices, default=Stance.UNKNOWN
    )
    note = models.TextField(_("note"), blank=True)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["version"])
    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_on", "-pk"]
        indexes = [
            # An organisation's latest assessment (the map, the organisation
            # page): WHERE organisation_id = %s ORDER BY assessed_on DESC,
            # id DESC LIMIT 1.
            models.Index(
                fields=["organisation", "-assessed_on", "-id"],
                name="assessment_latest_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=SCALE_MIN, influence__lte=SCALE_MAX),
                name="assessment_influence_1_to_5",
                violation_error_code="assessment_influence_1_to_5",
                violation_error_message=_("Influence is a score from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=Q(interest__gte=SCALE_MIN, interest__lte=SCALE_MAX),
                name="assessment_interest_1_to_5",
                violation_error_code="assessment_interest_1_to_5",
                violation_error_message=_("Interest is a score from 1 to 5."),
            ),
        ]

    constraint_error_fields = {
        "assessment_influence_1_to_5": "influence",
        "assessment_interest_1_to_5": "interest",
    }

    def __str__(self):
        return _("%(organisation)s, assessed on %(day)s") % {
            "organisation": self.organisation,
            "day": self.assessed_on,
        }

    def get_absolute_url(self):
        return reverse("organisations:detail", args=[self.organisation_id])

    def clean(self):
        super().clean()
        # Not a database constraint: "today" moves, and a row valid when
        # written would not be later, or on a server in another time zone.
        if self.assessed_on and self.assessed_on > timezone.localdate():
            raise ValidationError(
                {"assessed_on": _("An assessment cannot be dated in the future.")},
                code="assessment_in_future",
            )

    @property
    def quadrant(self):
        return quadrant_of(self.influence, self.interest)


class Quadrant(models.TextChoices):
    """The four quadrants of the influence x interest grid, as practitioners
    (Mendelow's matrix) name them."""

    MANAGE_CLOSELY = "manage_closely", _("Manage closely")
    KEEP_SATISFIED = "keep_satisfied", _("Keep satisfied")
    KEEP_INFORMED = "keep_informed", _("Keep informed")
    MONITOR = "monitor", _("Monitor")


def quadrant_of(influence, interest):
    if influence >= HIGH:
        return Quadrant.MANAGE_CLOSELY if interest >= HIGH else Quadrant.KEEP_SATISFIED
    return Quadrant.KEEP_INFORMED if interest >= HIGH else Quadrant.MONITOR

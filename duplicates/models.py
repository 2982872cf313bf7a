"""Pairs of records that may be one organisation or one person, as
``manage.py find_duplicates`` found them (``duplicates.finder``), and the
pairs an editor said are not duplicates, which are never offered again.

A pair is stored with its smaller id first, once. Finding again refreshes
the score and reasons of the pairs still found, removes those no longer
found and leaves the dismissed ones as they are.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Reason(models.TextChoices):
    """Why two records were paired: the keys that matched."""

    SAME_NAME = "same_name", _("same name in any script")
    OTHER_NAME = "other_name", _("a name is the other's other name")
    ACRONYM = "acronym", _("an acronym is the other's name")
    IDENTIFIER = "identifier", _("same identifier")
    EMAIL = "email", _("same email")
    PHONE = "phone", _("same phone number")
    SIMILAR_NAME = "similar_name", _("similar name")
    SAME_ORGANISATION = "same_organisation", _("positions in the same organisation")


def _pair_constraints(prefix):
    """Each pair once, the smaller id first."""
    return [
        models.UniqueConstraint(fields=["first", "second"], name=f"{prefix}_unique"),
        models.CheckConstraint(
            condition=Q(first__lt=F("second")), name=f"{prefix}_ordered"
        ),
    ]


class Pair(models.Model):
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    found_at = models.DateTimeField(_("found"))
    dismissed_at = models.DateTimeField(_("not a duplicate since"), null=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=pgettext_lazy("duplicates", "dismissed by"),
    )

    class Meta:
        abstract = True
        ordering = ["-score", "id"]

    def __str__(self):
        return _("%(first)s and %(second)s") % {
            "first": self.first,
            "second": self.second,
        }

    def reason_labels(self):
        return [Reason(code).label for code in self.reasons if code in Reason]


class OrganisationPair(Pair):
    first = models.ForeignKey(
        "stakeholders.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    second = models.ForeignKey(
        "stakeholders.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("possible duplicate"),
    )

    class Meta(Pair.Meta):
        verbose_name = _("possible duplicate organisations")
        verbose_name_plural = _("possible duplicate organisations")
        constraints = _pair_constraints("organisationpair")
        indexes = [
            models.Index(fields=["-score", "id"], name="organisationpair_score_idx")
        ]


class PersonPair(Pair):
    first = models.ForeignKey(
        "stakeholders.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    second = models.ForeignKey(
        "stakeholders.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("possible duplicate"),
    )

    class Meta(Pair.Meta):
        verbose_name = _("possible duplicate people")
        verbose_name_plural = _("possible duplicate people")
        constraints = _pair_constraints("personpair")
        indexes = [models.Index(fields=["-score", "id"], name="personpair_score_idx")]


class Merge(models.Model):
    """One merge: which record went into which, who merged them and when,
    the merged record as it was (its fields, and for an organisation its
    other names and identifiers), the value chosen for each field that
    differed and how many rows of each kind moved or were combined.

    The merged record's id stays here, so its old address leads to the
    survivor (``duplicates.merge.merged_into``). Administrators read these;
    nobody writes or deletes one. A survivor that is itself merged later
    hands its merges on; one that is deleted (a person erased) takes them
    with it."""

    old_id = models.PositiveBigIntegerField(_("merged record's number"))
    old_label = models.CharField(_("merged record"), max_length=300)
    old_record = models.JSONField(_("merged record as it was"), default=dict)
    choices = models.JSONField(_("values chosen"), default=dict)
    moved = models.JSONField(_("rows moved"), default=dict)
    merged_at = models.DateTimeField(_("merged"))
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("merged by"),
    )

    class Meta:
        abstract = True
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return _("%(merged)s into %(survivor)s") % {
            "merged": self.old_label,
            "survivor": self.survivor,
        }


class OrganisationMerge(Merge):
    survivor = models.ForeignKey(
        "stakeholders.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("surviving organisation"),
    )

    class Meta(Merge.Meta):
        verbose_name = _("organisation merge")
        verbose_name_plural = _("organisation merges")
        indexes = [models.Index(fields=["old_id"], name="organisationmerge_old_idx")]


class PersonMerge(Merge):
    survivor = models.ForeignKey(
        "stakeholders.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("surviving person"),
    )

    class Meta(Merge.Meta):
        verbose_name = _("person merge")
        verbose_name_plural = _("person merges")
        indexes = [models.Index(fields=["old_id"], name="personmerge_old_idx")]

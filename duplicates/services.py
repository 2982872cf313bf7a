"""``find_duplicates``: read every organisation or person once, find the
pairs (``duplicates.finder``) and store them, in short transactions so that
editors' saves never wait on it."""

from django.db import transaction
from django.utils import timezone

from core.models import rows_by_key
from meetings import stats
from stakeholders.models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    Person,
    Position,
)

from . import finder
from .models import OrganisationPair, PersonPair

BATCH = 2_000

# The pairs are written in short transactions with, on SQLite, a pause
# between them in which an editor's save that waits for the write lock takes
# it (meetings/stats.py says why). At XL with 4 clients saving half the time
# (`bench/load.py --during find_duplicates`), batches of 2,000 pairs back to
# back kept a save waiting 5.8 s.
WRITE_BATCH = 500


def _organisation_pairs():
    return finder.organisation_pairs(
        rows_by_key(Organisation.objects.all(), "id", "name", "acronym", "email"),
        rows_by_key(OrganisationName.objects.all(), "organisation_id", "name"),
        rows_by_key(OrganisationIdentifier.objects.all(), "organisation_id", "value"),
    )


def _organisations_of(ids):
    places = {}
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH):
        rows = Position.objects.filter(person__in=ids[start : start + BATCH])
        for person, organisation in rows.values_list("person", "organisation"):
            places.setdefault(person, set()).add(organisation)
    return places


def _person_pairs():
    return finder.person_pairs(
        rows_by_key(Person.objects.all(), "id", "full_name", "email", "phone"),
        _organisations_of,
    )


KINDS = {
    "organisations": (OrganisationPair, _organisation_pairs),
    "people": (PersonPair, _person_pairs),
}


def find(kind, *, on_progress=None):
    """Find the pairs of ``kind`` ("organisations" or "people") and store
    them: the pairs still found get their new score and reasons, those no
    longer found go, the dismissed ones ("not a duplicate") stay as they
    are and are never offered again. Returns ``(found, stored, removed)``."""
    model, pairs_of = KINDS[kind]
    now = timezone.now()
    dismissed = set(
        model.objects.filter(dismissed_at__isnull=False).values_list(
            "first_id", "second_id"
        )
    )
    found = list(pairs_of())
    rows = [
        model(first_id=a, second_id=b, score=score, reasons=reasons, found_at=now)
        for a, b, score, reasons in found
        if (a, b) not in dismissed
    ]
    for start in range(0, len(rows), WRITE_BATCH):
        if start:
            stats.let_writers_in()
        with transaction.atomic():
            model.objects.bulk_create(
                rows[start : start + WRITE_BATCH],
                update_conflicts=True,
                unique_fields=["first", "second"],
                update_fields=["score", "reasons", "found_at"],
            )
        if on_progress:
            on_progress(min(start + WRITE_BATCH, len(rows)), len(rows))
    # Pairs no longer found: found earlier than now and not dismissed.
    stale = model.objects.filter(found_at__lt=now, dismissed_at__isnull=True)
    removed = 0
    while ids := list(stale.values_list("pk", flat=True)[:WRITE_BATCH]):
        if removed:
            stats.let_writers_in()
        with transaction.atomic():
            removed += model.objects.filter(pk__in=ids).delete()[0]
    return len(found), len(rows), removed

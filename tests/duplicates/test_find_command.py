"""``manage.py find_duplicates`` on the database: pairs stored once, found
again with their new score, gone when no longer found, and a pair marked
"not a duplicate" never offered again."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from duplicates.models import OrganisationPair, PersonPair, Reason
from duplicates.services import find
from tests.factories import (
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def test_the_command_stores_the_pairs_of_both_kinds_and_says_how_many(
    django_user_model,
):
    uzinfocom = OrganisationFactory(name="Single Integrator", acronym="UZINFOCOM")
    again = OrganisationFactory(name="Узинфоком", acronym="")
    OrganisationFactory(name="Ministry of Finance", acronym="MF")
    nodira = PersonFactory(full_name="Nodira Xasanova", email="")
    twin = PersonFactory(full_name="Хасанова Нодира", email="")
    PersonFactory(full_name="Aziz Karimov", email="")
    out = io.StringIO()

    call_command("find_duplicates", "--no-progress", stdout=out)

    pair = OrganisationPair.objects.get()
    assert (pair.first, pair.second) == (uzinfocom, again)
    assert pair.reasons == [Reason.ACRONYM]
    person_pair = PersonPair.objects.get()
    assert (person_pair.first, person_pair.second) == (nodira, twin)
    assert "organisations: 1 possible duplicate pairs found, 1 to review" in (
        out.getvalue()
    )
    assert "people: 1 possible duplicate pairs found" in out.getvalue()


def test_finding_again_updates_the_pairs_and_removes_those_no_longer_found():
    first = OrganisationFactory(name="Ministry of Health", acronym="")
    second = OrganisationFactory(name="Ministry of Helth", acronym="")
    third = OrganisationFactory(name="Sogʻliqni saqlash vazirligi", acronym="")
    find("organisations")
    assert set(OrganisationPair.objects.values_list("first", "second")) == {
        (first.pk, second.pk)
    }
    # The typo corrected, the other name of a third recorded.
    second.name = "State Health Insurance Fund"
    second.save()
    OrganisationNameFactory(organisation=first, name="Соғлиқни сақлаш вазирлиги")

    assert find("organisations") == (1, 1, 1)
    pair = OrganisationPair.objects.get()
    assert (pair.first, pair.second, pair.reasons) == (
        first,
        third,
        [Reason.OTHER_NAME],
    )


def test_a_pair_marked_not_a_duplicate_is_never_offered_again(django_user_model):
    editor = django_user_model.objects.create_user("steward")
    OrganisationFactory(name="Uzinfocom", acronym="")
    OrganisationFactory(name="Узинфоком", acronym="")
    find("organisations")
    pair = OrganisationPair.objects.get()
    pair.dismissed_at = timezone.now()
    pair.dismissed_by = editor
    pair.save()

    found, stored, removed = find("organisations")

    assert (found, stored, removed) == (1, 0, 0)
    pair.refresh_from_db()
    assert pair.dismissed_by == editor
    assert OrganisationPair.objects.filter(dismissed_at__isnull=True).count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side cursors: PostgreSQL's"
)
def test_finding_holds_no_cursor_that_a_transaction_pool_would_lose(
    capture_queries,
):
    """Outside a transaction, QuerySet.iterator() reads through a cursor held
    across transactions (DECLARE ... WITH HOLD), which a PgBouncer in
    transaction pooling loses when another client takes the server
    connection (docs/operations.md). The command reads by key instead."""
    OrganisationFactory.create_batch(3)
    PersonFactory.create_batch(3)

    with capture_queries() as queries:
        find("organisations")
        find("people")

    assert [sql for sql in queries.sql if "DECLARE" in sql.upper()] == []

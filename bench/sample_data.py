"""Synthetic, obviously fake sample data at national scale, for load tests.

``manage.py generate_sample_data`` calls :func:`sample_data_generate`. Every
organisation, person, topic and meeting name starts with "Sample", every email is
at example.org and every phone number has the unused operator code 00, so the
data cannot be mistaken for real partners.

The shape is what years of a programme produce: a few organisations (the
ministry, the integrator, the UN agency, the big donors) attend most meetings
and most attend a few; organisations sit up to three levels under a parent;
people hold one to three positions over time, the last one usually current;
meetings range from a handful of organisations to national conferences.

Rows are written with the DB-API (``COPY`` on PostgreSQL, ``executemany`` on
SQLite) inside one transaction, with explicit primary keys, so that the
organisation at a given position in the run always gets the same id and one
seed always gives the same data. Nothing goes through ``Model.save()``: no
history rows are written for the sample data.
"""

import hashlib
import time

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

from bench.sample_plan import (
    DEFAULT_SEED,
)
from bench.sample_writers import SampleGenerator
from core.models import rows_by_key
from duplicates.models import OrganisationPair, PersonPair
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from meetings.stats import refresh_all as meeting_stats_refresh_all
from stakeholders.models import (
    Assessment,
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)


def domain_models():
    """The models the generator fills, children before parents (the order in
    which they can be deleted)."""
    return [
        Assessment,
        FollowUp,
        Attendance,
        AgendaItem,
        Meeting.initiators.through,
        Meeting,
        Topic,
        Position,
        OrganisationIdentifier,
        OrganisationName,
        Person,
        Organisation,
    ]


def existing_data():
    """Counts of the rows a coordinator or an earlier run wrote, by model
    (organisation types and users are not counted: a fresh database has them)."""
    counted = [Organisation, Person, Meeting, Topic, Attendance]
    counts = {
        model._meta.verbose_name_plural: model.objects.count() for model in counted
    }
    return {name: count for name, count in counts.items() if count}


def _history_models():
    """The django-simple-history tables of the domain models, the history of
    ``Meeting.initiators`` (``HistoricalRecords(m2m_fields=...)``) first."""
    found = []
    for model in domain_models():
        history = getattr(model, "history", None)
        if history is not None:
            found.append(history.model)
    tables = tuple(f"{model._meta.db_table}_" for model in found)
    m2m = [
        model for model in apps.get_models() if model._meta.db_table.startswith(tables)
    ]
    return m2m + found


def domain_data_delete():
    """Delete every organisation, person, meeting, topic and the rows that hang
    off them, with their history, and the duplicate pairs found among them
    (whose foreign keys the database would otherwise refuse at commit).
    Organisation types and users stay."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model in [
            OrganisationPair,
            PersonPair,
            *_history_models(),
            *domain_models(),
        ]:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's table


def dataset_digest():
    """A SHA-256 over every row of the tables the generator fills, in primary
    key order: equal digests, equal data."""
    digest = hashlib.sha256()
    for model in reversed(domain_models()):
        names = [f.attname for f in model._meta.concrete_fields]
        digest.update(model._meta.db_table.encode())
        for row in rows_by_key(model._base_manager.all(), *names):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _sqlite_fast_writes():
    """A bigger page cache while the run writes (the default 2 MB makes index
    updates of millions of rows go to disk); returns the setting to restore."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -1000000")
    return previous


def _analyze():
    """Refresh PostgreSQL's statistics of the domain tables (a no-op on SQLite,
    whose app connections run without ANALYZE)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in domain_models():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def sample_data_generate(*, plan, seed=DEFAULT_SEED, progress=False, replace=False):
    """Write the sample data of ``plan`` to the default database in one
    transaction; with ``replace``, first delete every organisation, person and
    meeting there (see :func:`domain_data_delete`). Returns the counts of rows
    written and the seconds taken."""
    started = time.perf_counter()
    previous_cache = _sqlite_fast_writes() if connection.vendor == "sqlite" else None
    try:
        with transaction.atomic():
            if replace:
                domain_data_delete()
            counts = SampleGenerator(plan, seed=seed, progress=progress).run()
            # The refresh below joins millions of fresh rows: on PostgreSQL it
            # must be planned for them, not for the empty tables the planner
            # last saw (at XL it chose nested loops over 2.5 M attendance rows
            # per person and ran for over 7 minutes; with statistics, seconds).
            # ANALYZE inside the transaction samples its own new rows.
            _analyze()
            # Rows were written without the ORM: the stored meetings attended,
            # last met and organisations taking part are computed once here.
            meeting_stats_refresh_all()
            OrganisationType.objects.refresh_active_organisations()
            statements = connection.ops.sequence_reset_sql(no_style(), domain_models())
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
            # What autovacuum would do soon after: plans for the stored figures
            # just written.
            _analyze()
    finally:
        if previous_cache is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous_cache)}")
    return counts, time.perf_counter() - started

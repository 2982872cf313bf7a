"""Every page runs as many queries on ten times the data: the pages of the
benchmark (bench/cases.py), each requested by a superuser on generated data at
scale S (100 organisations, 2,500 attendance rows) and at scale M (1,000 and
25,000), with the busiest organisation, person and meeting of each.

A page whose count grows with the data has a query a row somewhere (N+1). The
exports are left out: they read their rows in chunks of 2,000, one query (and
one per prefetch) a chunk, by design.

Both data sets are generated once for the module, inside a transaction that is
rolled back at the end.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client

from bench.cases import Targets, app_cases, find_targets
from bench.sample_data import domain_data_delete, sample_data_generate
from bench.sample_plan import Plan
from meetings.models import Meeting

# The tests use no database themselves; the mark makes pytest-django create the
# test database that the module's fixture fills.
pytestmark = pytest.mark.django_db

CASES = [case.key for case in app_cases(Targets.placeholder())]


def measure(client, user, capture_queries):
    """{case key: (status, queries)} for every page, on the data there is."""
    found = {}
    for case in app_cases(find_targets()):  # not the exports
        # A fresh login before each page, as in the benchmark: the idle-timeout
        # middleware saves the session at most once a minute.
        client.force_login(user)
        # The first request of a page fills the process's caches (content
        # types, …); those queries are not the page's.
        client.get(case.url)
        with capture_queries() as queries:
            response = client.get(case.url)
        found[case.key] = (response.status_code, len(queries))
    return found


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker, capture_queries):
    # The busiest meeting at M has more attendance rows than the meeting page
    # lists inline (it links to them instead); compare the same page at both
    # scales. tests/test_change_form_queries.py covers the limit itself.
    meeting_admin = admin.site._registry[Meeting]
    limit = meeting_admin.attendance_inline_limit
    meeting_admin.attendance_inline_limit = 10**9
    try:
        yield measure_both(django_db_blocker, capture_queries)
    finally:
        meeting_admin.attendance_inline_limit = limit


def measure_both(django_db_blocker, capture_queries):
    with django_db_blocker.unblock(), transaction.atomic():
        # Never the configured database: the fixture deletes every organisation.
        name = str(connection.settings_dict["NAME"])
        assert "test" in name or "memory" in name, name
        user = get_user_model().objects.create_superuser(
            username="counter", password="a-long-test-password"
        )
        client = Client()
        sample_data_generate(plan=Plan.for_scale("S"))
        at_s = measure(client, user, capture_queries)
        domain_data_delete()
        sample_data_generate(plan=Plan.for_scale("M"))
        at_m = measure(client, user, capture_queries)
        transaction.set_rollback(True)
    return at_s, at_m


@pytest.mark.parametrize(
    "key",
    CASES,
)
def test_a_page_runs_as_many_queries_at_scale_m_as_at_scale_s(counts, key):
    at_s, at_m = counts
    assert at_s[key][0] == 200, f"{key} answered {at_s[key][0]} at scale S"
    assert at_m[key][0] == 200, f"{key} answered {at_m[key][0]} at scale M"
    assert at_m[key][1] == at_s[key][1], (
        f"{key}: {at_s[key][1]} queries at scale S, {at_m[key][1]} at scale M"
    )

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import VIEWER, roles_sync


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="coordinator", password="a-long-test-password"
    )


@pytest.fixture
def admin_client(client, superuser):
    """A client logged in as a superuser (overrides pytest-django's own, so the
    user is the `superuser` fixture the test can refer to)."""
    client.force_login(superuser)
    return client


@pytest.fixture
def role():
    """The group of a role, by name. The role migration creates them; a
    transactional test's flush may have removed them since, so they are made
    again when missing."""

    def get(name):
        if not Group.objects.filter(name=name).exists():
            roles_sync(django_apps)
        return Group.objects.get(name=name)

    return get


@pytest.fixture
def viewer(django_user_model, role):
    """A manager with the viewer role: no staff status, no admin."""
    user = django_user_model.objects.create_user(
        username="viewer", password="a-long-test-password"
    )
    user.groups.add(role(VIEWER))
    return user


@pytest.fixture
def assert_admin_only(client, viewer):
    """Checks that a page sends anonymous visitors and viewers (no staff
    status) to the admin's login page."""

    def check(url):
        login = reverse("admin:login")
        anonymous = client.get(url)
        client.force_login(viewer)
        as_viewer = client.get(url)
        for response in (anonymous, as_viewer):
            assert response.status_code == 302
            assert response.url.startswith(f"{login}?next=")

    return check


@pytest.fixture
def user_client(client, viewer):
    """A client logged in as a viewer."""
    client.force_login(viewer)
    return client


@pytest.fixture
def reference_data(transactional_db):
    """The rows the migrations seed: organisation types and roles.

    Transactional tests (the live server reads from another thread, so their
    data must be committed) end with a flush that removes these rows, and
    pytest-django's serialized rollback does not reliably bring them back; such
    tests ask for this fixture instead."""
    types = importlib.import_module(
        "stakeholders.migrations.0002_default_organisation_types"
    )
    types.create_types(django_apps, None)
    roles_sync(django_apps)


class CapturedQueries(CaptureQueriesContext):
    @property
    def sql(self):
        """The text of each query the block ran, in order."""
        return [query["sql"] for query in self.captured_queries]


@pytest.fixture(scope="session")
def capture_queries():
    """``with capture_queries() as queries:`` records the queries the block runs
    on the default database: ``len(queries)`` and their text, ``queries.sql``.

    For a test that compares two runs of the same work (on more rows) or looks
    for a statement; a page's fixed count is ``django_assert_num_queries``,
    with a comment naming each query. Session-wide, so that a module's data
    fixture can count with it too."""
    return lambda: CapturedQueries(connection)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (the start page keeps its figures
    there for DASHBOARD_CACHE_SECONDS), as a worker does when it starts."""
    cache.clear()

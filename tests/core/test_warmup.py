"""A gunicorn worker is warmed up before its first request (core.warmup,
config/gunicorn.conf.py): views imported, templates compiled, catalogues
read, the database connection open."""

import runpy
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader
from django.urls import clear_url_caches, get_resolver, reverse
from django.utils import translation

from core.warmup import compile_templates, own_template_dirs, template_names, warm

pytestmark = pytest.mark.django_db


def cached_loader():
    loader = engines["django"].engine.template_loaders[0]
    assert isinstance(loader, CachedLoader)
    return loader


def test_every_template_of_the_project_is_compiled_before_a_page_asks():
    loader = cached_loader()
    loader.reset()
    ours = [name for folder in own_template_dirs() for name in template_names(folder)]
    assert "meetings/home.html" in ours
    assert "admin/edit_inline/tabular_uncaptioned.html" in ours

    compiled = compile_templates()

    assert compiled > len(ours)
    cached = set(loader.get_template_cache)
    assert set(ours) <= cached
    # Django's admin pages, which ours extend.
    assert {"admin/change_form.html", "admin/change_list.html"} <= cached


def test_warming_up_opens_the_connection_with_two_lookups(django_assert_num_queries):
    with django_assert_num_queries(2) as queries:
        done = warm()

    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" in tables
    assert connection.connection is not None
    assert done["templates"] > 100
    assert done["languages"] == 3


def test_each_language_has_its_url_lookups_after_warming_up():
    clear_url_caches()
    assert not get_resolver()._reverse_dict
    warm()
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        assert code in resolver._reverse_dict
        with translation.override(code):
            assert reverse("admin:index") == "/admin/"


class Log:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(("info", message % args))

    def exception(self, message, *args):
        self.lines.append(("exception", message % args))


def test_a_worker_that_cannot_warm_up_still_starts(monkeypatch):
    # The database not up yet when gunicorn starts: the worker serves once it is.
    hooks = runpy.run_path(str(settings.BASE_DIR / "config" / "gunicorn.conf.py"))
    worker = SimpleNamespace(pid=4321, log=Log())

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr("core.warmup.warm", unreachable)
    hooks["post_worker_init"](worker)

    assert worker.log.lines == [("exception", "Worker 4321 not warmed up")]

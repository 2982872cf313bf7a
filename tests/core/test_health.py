"""/health/ tells a probe whether this worker can serve (core.health)."""

import logging

import pytest
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from core.health import HealthCheckMiddleware

pytestmark = pytest.mark.django_db


def test_it_answers_ok_to_anyone_and_tells_nothing_else(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    # No session was started for the probe.
    assert not response.cookies


def test_a_head_request_gets_the_status_alone(client):
    assert client.head("/health/").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_refused_and_change_nothing(client, method):
    response = getattr(client, method)("/health/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert not response.cookies


def test_a_probe_needs_neither_an_allowed_host_nor_https(client, settings):
    """Probes reach the application's port directly: plain HTTP, any host."""
    settings.ALLOWED_HOSTS = ["hamkor.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/health/", HTTP_HOST="10.20.30.40:8000")

    assert (response.status_code, response.content) == (200, b"ok\n")
    # The same request for a page is refused for its host, as before.
    assert client.get("/accounts/login/", HTTP_HOST="10.20.30.40").status_code == 400


def test_the_migrations_are_compared_once_per_process(django_assert_num_queries):
    probe = Client()
    # the database answers; the migrations table is found and read
    with django_assert_num_queries(3):
        probe.get("/health/")

    # the database answers
    with django_assert_num_queries(1):
        assert probe.get("/health/").status_code == 200


def test_a_database_that_does_not_answer_is_503(client, monkeypatch, caplog):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    with caplog.at_level(logging.WARNING, logger="core.health"):
        response = client.get("/health/")

    assert response.status_code == 503
    # What failed, never the error itself: the address is public.
    assert response.content == b"database unavailable\n"
    assert "connection refused" in caplog.text


def test_code_whose_migrations_are_not_applied_is_503_until_they_are(
    client, monkeypatch
):
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [("a", False)]
    )

    response = client.get("/health/")

    assert (response.status_code, response.content) == (
        503,
        b"migrations not applied\n",
    )

    monkeypatch.undo()
    assert client.get("/health/").status_code == 200


def test_every_other_request_passes_through_untouched(rf):
    passed = []
    middleware = HealthCheckMiddleware(lambda request: passed.append(request) or 204)

    for path in ["/", "/health", "/health/x/", "/api/v1/health/"]:
        assert middleware(rf.get(path)) == 204

    assert len(passed) == 4

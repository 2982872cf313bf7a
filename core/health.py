"""``/health/``: whether this worker can serve pages, for the probes of a
load balancer, a container runtime or a monitoring system.

The answer is for machines: ``200`` and ``ok`` when the worker reaches the
database and every migration of its code has been applied there, else
``503`` and which of the two failed (no detail of the error: the address is
public behind the proxy; the error goes to the log). It is answered before
anything else of the request is read (``HealthCheckMiddleware``, first in
``MIDDLEWARE``): a probe connects to the application's port directly, over
plain HTTP and under whatever host name it was given, so neither the host
check nor the HTTPS redirect applies to it, and it writes no session and
sets no cookie.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse

logger = logging.getLogger(__name__)

PATH = "/health/"

# The answers: words a probe's configuration can match, the same in every
# language (no translation is active this early in a request).
OK = "ok"
DATABASE_DOWN = "database unavailable"
NOT_MIGRATED = "migrations not applied"


def health_response(text, status):
    response = HttpResponse(
        f"{text}\n", status=status, content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthCheckMiddleware:
    """Answers ``GET`` and ``HEAD`` of ``/health/`` (``405`` for any other
    method) and passes every other request on untouched.

    Each answer runs one query (``SELECT 1``). The migrations are compared
    with the code until they are found applied, once per process: the
    migration files are read then (some 0.1 s); a worker's code does not
    change while it runs."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.migrated = False

    def __call__(self, request):
        if request.path_info != PATH:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response = health_response("method not allowed", 405)
            response["Allow"] = "GET, HEAD"
            return response
        problem = self.problem()
        if problem:
            return health_response(problem, 503)
        return health_response(OK, 200)

    def problem(self):
        """What keeps this worker from serving, or ``None``."""
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            if not self.migrated:
                executor = MigrationExecutor(connection)
                if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                    logger.warning("Health check: migrations not applied")
                    return NOT_MIGRATED
                self.migrated = True
        except Exception:
            logger.warning("Health check: the database did not answer", exc_info=True)
            return DATABASE_DOWN
        return None

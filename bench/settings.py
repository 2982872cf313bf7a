"""Settings for the benchmark: production settings (DEBUG off) on a generated
database, with plain static file storage so that no collected manifest is
needed.

The database is ``DATABASE_URL`` when it is set, else the SQLite file
``bench/data/bench-<BENCH_SCALE>.sqlite3``.
"""

import os
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SCALE = os.environ.get("BENCH_SCALE", "M")

os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# The benchmark reads the API's lists many times a minute as one user: no
# rate limit (a 429 is not a page).
os.environ.setdefault("API_RATE", "1000000/min")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{BENCH_DIR / 'data' / f'bench-{SCALE}.sqlite3'}"
    )

from config.settings import *  # noqa: E402, F403
from config.settings import STORAGES  # noqa: E402

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files from the finders: nothing to collect before a run.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# The test client speaks plain HTTP to "testserver".
SECURE_SSL_REDIRECT = False
# The start page counts its figures on every request, so that the benchmark
# measures the counting; the case "home, figures kept" keeps them, as
# production does (DASHBOARD_CACHE_SECONDS, 60).
DASHBOARD_CACHE_SECONDS = 0
ALLOWED_HOSTS = ["testserver"]
# 400s and 404s of bad-input cases are expected; keep the report readable.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # The benchmark reports a page's error itself, and stops naive pages that
    # run too long, which Django would log as server errors.
    "loggers": {"django.request": {"level": "CRITICAL"}},
}

"""Settings for the test suite: config.settings as production reads it, with the
two things a test run cannot have: a real secret and collected static files."""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-the-test-suite-only")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

# Static names unhashed: tests do not run `collectstatic`.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests log in thousands of times; the slow hasher only costs time here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

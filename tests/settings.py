"""Settings for the test suite: config.settings as production reads it, with the
things a test run cannot have: a real secret, a host name and collected static
files."""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-the-test-suite-only")
# The test client's host (Django adds it too, once the settings have loaded).
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK, STORAGES

# Static names unhashed: tests do not run `collectstatic`.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests log in thousands of times; the slow hasher only costs time here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client and the live server speak plain HTTP; tests/test_production.py
# checks the HTTPS redirect of the real configuration.
SECURE_SSL_REDIRECT = False
# Static files straight from the finders (no STATIC_ROOT to collect into).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests send thousands of API requests a minute, as users whose ids repeat
# from test to test (rolled back): no rate here but the one
# tests/api/test_tokens.py sets.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"token": "1000000/min"},
}

"""gunicorn's settings for Hamkor in production:

    gunicorn -c config/gunicorn.conf.py config.wsgi

The command line (``--workers 4``) or GUNICORN_CMD_ARGS overrides any of them.
docs/operations.md explains the choices for an operator.
"""

from pathlib import Path

import environ

# Like config/settings.py: the environment, or a .env file beside manage.py.
env = environ.Env()
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)

# The reverse proxy is what the world reaches; the application's port answers
# on the loopback address only, so that nobody can bypass the proxy and the
# address it reports (TRUSTED_PROXY_COUNT).
bind = env.str("GUNICORN_BIND", default="127.0.0.1:8000")

# Processes, and threads in each: a slow request (a large export streamed to
# a slow connection, an import being written) holds one thread, not a whole
# process. Each thread has its own database connection: workers x threads
# connections at most (12 by default).
workers = env.int("WEB_CONCURRENCY", default=3)
worker_class = "gthread"
threads = env.int("GUNICORN_THREADS", default=4)

# A worker silent for this long is killed and restarted. A gthread worker
# reports from its own loop while requests run in its threads, so this
# catches a stuck process, not a long request; but gunicorn's default, 30 s,
# is shorter than the longest request measured (a 10,000-row sign-in sheet
# import committing under load: 31 s), and would cut it under the sync worker.
# 120 s leaves imports and large exports four times that.
timeout = env.int("GUNICORN_TIMEOUT", default=120)

# On a restart (a deployment, a HUP), requests in progress get as long to
# finish: an import being written completes rather than being rolled back.
graceful_timeout = timeout

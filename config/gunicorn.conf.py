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

# Processes, one request at a time each (sync workers): the pages are
# CPU-bound Python, and threads in a process queue on its one interpreter
# lock. 5 by default, gunicorn's (2 x cores) + 1 for two cores: set
# WEB_CONCURRENCY by that rule on a larger machine. Measured at XL on 2
# cores with 16 clients at once (docs/performance.md, the session of 7
# December): 5 sync workers served as many pages a second
# as 3 gthread workers of 4 threads (30-31 against 17-31) with half the 95th
# percentile (527-542 ms against 870-1,437). A slow client does not hold a
# worker: the proxy in front buffers the response (nginx's default), so a
# large export is written to it as fast as it is made. Each process has its
# own database connection (workers x threads at most; 5 by default).
# GUNICORN_THREADS above 1 runs gthread workers instead.
workers = env.int("WEB_CONCURRENCY", default=5)
threads = env.int("GUNICORN_THREADS", default=1)
worker_class = "gthread" if threads > 1 else "sync"

# A worker busy for this long is killed and restarted, its request cut:
# gunicorn's default, 30 s, is shorter than the longest request measured (a
# 10,000-row sign-in sheet import committing under load: 31 s); 120 s leaves
# imports and large exports (7 s for the largest at XL) four times that.
timeout = env.int("GUNICORN_TIMEOUT", default=120)

# On a restart (a deployment, a HUP), requests in progress get as long to
# finish: an import being written completes rather than being rolled back.
graceful_timeout = timeout


def post_worker_init(worker):
    """Load every view, compile the templates, read the catalogues and open
    the database connection before the worker takes its first request
    (core.warmup): after a restart its first pages no longer wait for them.
    A worker that cannot (the database not up yet) starts all the same and
    loads what it needs on its first requests, as without this."""
    from core.warmup import warm

    try:
        done = warm()
    except Exception:
        worker.log.exception("Worker %s not warmed up", worker.pid)
        return
    worker.log.info(
        "Worker %s warmed up in %s ms: %s templates, %s languages",
        worker.pid,
        done["ms"],
        done["templates"],
        done["languages"],
    )

"""Hamkor starts the way the README says production runs it: gunicorn serving
config.wsgi with config/gunicorn.conf.py and DEBUG off, static files collected
and served by WhiteNoise."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# As the README runs it; the test overrides the port and the workers.
GUNICORN_COMMAND = [str(GUNICORN), "-c", "config/gunicorn.conf.py", "config.wsgi"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, **headers):
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp / "static"),
        "BEHIND_TLS_PROXY": "true",
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        subprocess.run(
            manage + command, env=env, cwd=BASE_DIR, check=True, capture_output=True
        )
    port = free_port()
    log = tmp / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as written:
        server = subprocess.Popen(
            [*GUNICORN_COMMAND, "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=written,
        )
        try:
            for _ in range(100):
                try:
                    fetch(f"{base}/admin/login/")
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"gunicorn did not start: {log.read_text()}")
            yield SimpleNamespace(base=base, log=log)
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
def production(production_server):
    return production_server.base


def test_each_worker_is_warmed_up_before_it_serves(production_server):
    """config/gunicorn.conf.py's post_worker_init (core.warmup): each of
    the two workers compiles the templates and opens its database connection
    before its first request."""
    for _ in range(100):
        warmed = re.findall(
            r"Worker (\d+) warmed up in \d+ ms: (\d+) templates",
            production_server.log.read_text(),
        )
        if len(warmed) == 2:
            break
        time.sleep(0.1)
    assert len({pid for pid, _count in warmed}) == 2
    assert all(int(count) > 100 for _pid, count in warmed)


def test_it_serves_the_login_page_over_the_proxy(production):
    status, headers, body = fetch(
        f"{production}/admin/login/", **{"X-Forwarded-Proto": "https"}
    )

    assert status == 200
    assert b"Hamkor" in body
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert headers["X-Frame-Options"] == "DENY"


def test_it_redirects_plain_http_to_https(production):
    status, headers, _body = fetch(f"{production}/admin/login/")

    assert status == 301
    assert headers["Location"].startswith("https://")


def test_its_health_check_answers_a_probe_on_the_port_itself(production):
    """A load balancer's probe comes over plain HTTP to gunicorn's port,
    under a host name of its own (core.health): it is answered, not
    redirected to HTTPS or refused for its host."""
    status, headers, body = fetch(f"{production}/health/", Host="10.20.30.40:8000")

    assert (status, body) == (200, b"ok\n")
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers


def test_it_serves_hashed_static_files_with_a_long_cache(production):
    _status, _headers, body = fetch(
        f"{production}/admin/login/", **{"X-Forwarded-Proto": "https"}
    )
    css = body.split(b'href="/static/admin/css/base.')[1].split(b'"')[0]
    status, headers, _body = fetch(
        f"{production}/static/admin/css/base.{css.decode()}",
        **{"X-Forwarded-Proto": "https"},
    )

    assert status == 200
    assert "immutable" in headers["Cache-Control"]


def test_gunicorn_gives_imports_and_exports_time():
    """The configuration as gunicorn resolves it (the server above runs with
    it): processes of one request each, as the load benchmark chose, and a
    worker is not killed at gunicorn's default 30 s, shorter than a
    10,000-row import committing under load."""
    result = subprocess.run(
        [*GUNICORN_COMMAND, "--print-config"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    resolved = dict(
        [part.strip() for part in line.split("=", 1)]
        for line in result.stdout.splitlines()
        if "=" in line
    )

    assert resolved["worker_class"] == "sync"
    assert int(resolved["workers"]) == 5
    assert int(resolved["timeout"]) >= 120
    assert int(resolved["graceful_timeout"]) >= 120
    assert resolved["bind"] == "['127.0.0.1:8000']"


def check_without(variable):
    """``manage.py check`` with DEBUG off and everything else production
    needs, but ``variable``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "hamkor.example.org",
    }
    env.pop(variable)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "check"],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )


def test_it_refuses_to_start_without_a_secret_key():
    result = check_without("SECRET_KEY")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts():
    result = check_without("ALLOWED_HOSTS")

    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS is not set" in result.stderr

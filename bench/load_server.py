"""The load benchmark's server: gunicorn on a free port with the committed
settings, its start, stop and problems, and the CPU time it and the database use."""

import http.client
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# The committed gunicorn settings, when there are any: the load is measured
# with what production runs.
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
# The README's command, when there is no configuration file.
DEFAULT_WORKERS = 3

# The server


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(args, port):
    """The gunicorn command line, and where its settings come from."""
    command = [str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    extra = shlex.split(args.gunicorn_args)
    config = GUNICORN_CONF if GUNICORN_CONF.exists() and not args.no_config else None
    if config:
        command += ["-c", str(config)]
    # Options on the command line win over the configuration file's.
    if args.workers:
        command += ["--workers", str(args.workers)]
    elif not config and not {"-w", "--workers"} & set(extra):
        command += ["--workers", str(DEFAULT_WORKERS)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.worker_class:
        command += ["--worker-class", args.worker_class]
    return command + extra, config


def gunicorn_settings(command, env):
    """The settings gunicorn resolves from the command (``--print-config``)."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [*command, "--print-config"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    settings = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            settings[key.strip()] = value.strip()
    wanted = ["worker_class", "workers", "threads", "timeout", "keepalive"]
    resolved = {key: settings.get(key) for key in wanted}
    # gunicorn runs sync workers with more than one thread as gthread workers.
    if resolved["worker_class"] == "sync" and int(resolved["threads"] or 1) > 1:
        resolved["worker_class"] = "gthread"
    return resolved


def server_env(static_root):
    """The README's production environment, on the benchmark's database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_TLS_PROXY": "true",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "STATIC_ROOT": str(static_root),
    }


def collect_static(env):
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--no-input"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def start_server(command, env, log_path, port, timeout=60):
    """Start gunicorn and wait until a worker answers (a static file, which
    WhiteNoise serves before any view or template is loaded). The other
    workers boot at the same time; a second's grace lets them finish."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed by stop_server
    server = subprocess.Popen(  # noqa: S603 - our own command line
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    server.log = log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request(
                "GET",
                "/static/admin/css/base.css",
                headers={"X-Forwarded-Proto": "https"},
            )
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                time.sleep(1)
                return server
        except OSError:
            pass
        time.sleep(0.1)
    stop_server(server)
    tail = Path(log_path).read_text(errors="replace").splitlines()[-30:]
    raise SystemExit("gunicorn did not start:\n" + "\n".join(tail))


def stop_server(server):
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.log.close()


def server_problems(log_path, limit=20):
    """Lines of the server's log that say something went wrong."""
    pattern = re.compile(r"WORKER TIMEOUT|Traceback|\bERROR\b|CRITICAL|SIGKILL|killed")
    lines = Path(log_path).read_text(errors="replace").splitlines()
    return [line for line in lines if pattern.search(line)][:limit]


# CPU accounting (Linux /proc)

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _ticks(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, None
    # After the name: state, ppid, ... utime (14th field) and stime (15th).
    return int(fields[11]) + int(fields[12]), int(fields[1])


def server_cpu_seconds(master):
    """CPU seconds used so far by gunicorn's master and its workers."""
    total, _ppid = _ticks(master)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ticks, ppid = _ticks(entry.name)
            if ppid == master:
                total += ticks
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds():
    """CPU seconds used so far by each PostgreSQL backend serving this
    database (this process's own left out), when the server runs on this
    machine: {pid: seconds}. Empty on SQLite, whose work is the server's."""
    from django.conf import settings
    from django.db import connection

    host = settings.DATABASES["default"].get("HOST") or "localhost"
    if connection.vendor != "postgresql" or host not in LOCAL_HOSTS:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    return {pid: _ticks(pid)[0] / os.sysconf("SC_CLK_TCK") for pid in pids}


def machine_cpu():
    """(busy, total) jiffies of every processor since boot."""
    try:
        values = [
            int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]
        ]
    except OSError:
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


# Running a level

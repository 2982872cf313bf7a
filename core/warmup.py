"""What a new worker process would otherwise do on its first requests, done
before it takes any (gunicorn's ``post_worker_init``, config/gunicorn.conf.py).

A worker starts with nothing loaded but the settings and the apps: the
URLconf imports every view module on the first request, each template is
read and compiled the first time a page uses it, each language's catalogues
and URL lookups are read the first time a request is in it, and the
database connection is opened by the first request that needs it. On
SQLite at XL a worker's first page took 180-230 ms against 20-25 warm, most
of it the process's first statements on the database (a connection opened
again after a minute idle costs 18 ms, docs/performance.md).

Two index lookups that find nothing open the connection; nothing else is
read from the database: its own caches are the database's.
"""

import time
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver, reverse
from django.utils import translation

# Django's own templates that every admin page or form uses: the admin's, and
# the form widgets' (rendered by core.forms.WidgetRenderer's engine). The
# other apps' templates are compiled when first used: some of them load
# libraries of packages Hamkor does not install.
DJANGO_DIR = Path(django.__file__).parent
ADMIN_TEMPLATES = DJANGO_DIR / "contrib" / "admin" / "templates"
WIDGET_TEMPLATES = DJANGO_DIR / "forms" / "templates"


def own_template_dirs():
    """The project's template folder and its apps' (not the libraries')."""
    base = Path(settings.BASE_DIR)
    engine = engines["django"].engine
    return [
        Path(folder)
        for folder in [*engine.dirs, *get_app_template_dirs("templates")]
        if Path(folder).resolve().is_relative_to(base)
        and "site-packages" not in Path(folder).parts
    ]


def template_names(folder):
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in {".html", ".txt", ".ics", ".svg"}
    )


def compile_templates():
    """Compile every template of the project and Django's admin and form
    widgets into the cached loaders. The number compiled."""
    from django.forms.renderers import get_default_renderer

    engine = engines["django"].engine
    count = 0
    for folder in [*own_template_dirs(), ADMIN_TEMPLATES]:
        for name in template_names(folder):
            engine.get_template(name)
            count += 1
    renderer = get_default_renderer()
    for name in template_names(WIDGET_TEMPLATES):
        renderer.get_template(name)
        count += 1
    return count


def warm():
    """Load the URLconf (and so every view), compile the templates, read
    every language's catalogues and open the database connection. Returns
    what it did, for the log."""
    started = time.perf_counter()
    get_resolver().resolve("/")
    templates = compile_templates()
    for code, _name in settings.LANGUAGES:
        # Activating a language reads its catalogues.
        with translation.override(code):
            reverse("admin:index")  # the resolver's lookups, one set a language
    # Every request reads its session and user first.
    Session.objects.filter(pk="").exists()
    get_user_model()._default_manager.filter(pk=0).exists()
    return {
        "templates": templates,
        "languages": len(settings.LANGUAGES),
        "ms": round((time.perf_counter() - started) * 1000),
    }

"""The JavaScript catalogue (``gettext()`` in the browser, ``/jsi18n/``) as a
file the browser keeps.

Every page loads it before its scripts (templates/base.html). Django's view
answers in the request's language with no caching headers, so the browser
asked for it again on every page: one more request to the application for
each page seen, before the page's pickers worked. Its address now names its
language and the version of the catalogues (``?l=ru&v=…``), and the answer
to an address with the current version is kept by the browser for a year: a
new language is another address, new translations (a deployment) another
version.
"""

import hashlib
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.i18n import JavaScriptCatalog

YEAR = 365 * 24 * 60 * 60


def languages():
    return {code for code, _name in settings.LANGUAGES}


@cache
def version():
    """A digest of the catalogue in every language, as the view writes it
    (messages, plural rule, formats): computed once a process."""
    digest = hashlib.sha256()
    view = JavaScriptCatalog.as_view()
    request = HttpRequest()
    request.method = "GET"
    for code in sorted(languages()):
        with translation.override(code):
            digest.update(view(request).content)
    return digest.hexdigest()[:12]


def catalogue_url():
    """The catalogue's address for the current language."""
    query = urlencode({"l": translation.get_language(), "v": version()})
    return f"{reverse('jsi18n')}?{query}"


class CatalogueView(JavaScriptCatalog):
    """Django's catalogue, in the language ``l`` names (else the request's),
    kept by the browser for a year when ``v`` is the current version."""

    def get(self, request, *args, **kwargs):
        language = request.GET.get("l")
        if language not in languages():
            return super().get(request, *args, **kwargs)
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
        if request.GET.get("v") == version():
            # Private: the answer may carry the session's cookie (its idle
            # clock is saved once a minute), which no shared cache may keep.
            patch_cache_control(response, private=True, max_age=YEAR, immutable=True)
        return response

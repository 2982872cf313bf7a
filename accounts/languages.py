"""The interface language a user chose: kept on the user (``Preferences``),
in the session while they are signed in, and in the language cookie.

Django's LocaleMiddleware picks the cookie's language, else the browser's
Accept-Language; ``UserLanguageMiddleware`` (accounts.middleware) then puts
the signed-in user's own choice first, read from the session, so that no
request costs a query for it. Signing in reads it from the user once.
"""

from django.conf import settings
from django.utils import translation
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from .models import Preferences

LANGUAGE_KEY = "hamkor_language"


def supported(language):
    return language in dict(settings.LANGUAGES)


def remember_language(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the signed-in user's language, from their
    preferences into the session (and from the session's cookie choice into
    their preferences, the first time they choose one)."""
    chosen = (
        Preferences.objects.filter(user=user).values_list("language", flat=True).first()
    )
    if chosen and supported(chosen):
        request.session[LANGUAGE_KEY] = chosen
        # The response carries the cookie too (accounts.middleware).
        request.language_chosen = chosen


@require_http_methods(["GET", "POST"])
def language_view(request):
    """Switch the interface language: the language cookie and a redirect to
    ``next`` (Django's ``set_language``), and for a signed-in user their
    preferences and session too. A GET (the address typed, or followed from
    a bookmark) changes nothing and goes back where it came from, else to
    the start page: an empty 405 showed the browser's error page."""
    response = set_language(request)
    language = request.POST.get("language")
    if (
        supported(language)
        and translation.check_for_language(language)
        and request.user.is_authenticated
    ):
        Preferences.objects.update_or_create(
            user=request.user, defaults={"language": language}
        )
        request.session[LANGUAGE_KEY] = language
    return response

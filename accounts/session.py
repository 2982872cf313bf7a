"""Whether the browser is still signed in, for the pages' script
(static/js/session.js).

``IdleTimeoutMiddleware`` signs out a user who made no request for
``SESSION_IDLE_MINUTES``; typing into a page makes none. So that a meeting's
summary written over forty minutes is not lost to the sign-in page on Save:

- while someone types or clicks, the page asks here at most once every
  ``SESSION_REFRESH_SECONDS``, and the request keeps the session alive (it
  is the same activity the middleware counts; a page left untouched still
  signs out on time);
- before sending a form, a page that may have outlived its session asks
  first: if it has, the form stays on the page and says so, and once the
  user has signed in again (in another tab) the form is sent with the new
  session's CSRF token, which this gives.
"""

from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def session_status(request):
    """``{"signed_in": bool, "csrf_token": str or null}``; answered to
    anyone (a signed-out page must learn that it is), never redirected."""
    signed_in = request.user.is_authenticated
    return JsonResponse(
        {
            "signed_in": signed_in,
            # Only a signed-in page may send its forms again.
            "csrf_token": get_token(request) if signed_in else None,
        }
    )


def session_settings():
    """What the script needs: where to ask, how often, and the idle limit."""
    return {
        "url": reverse("session_status"),
        "login_url": resolve_url(settings.LOGIN_URL),
        "idle_seconds": settings.SESSION_IDLE_MINUTES * 60,
        "refresh_seconds": settings.SESSION_REFRESH_SECONDS,
    }

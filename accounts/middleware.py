import ipaddress

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone, translation

LAST_SEEN = "hamkor_last_seen"


class IdleTimeoutMiddleware:
    """Log out a user who made no request for ``SESSION_IDLE_MINUTES``.

    Saving the session moves its expiry (SESSION_COOKIE_AGE) forward. So as
    not to write the session on every request, a request saves it only when
    the last save is ``SESSION_REFRESH_SECONDS`` old (a minute, or a quarter
    of the idle limit if that is shorter). The last save can therefore lag the
    last request by up to that interval, and the session lives the idle limit
    plus that interval from its last save: a user is never logged out less
    than the idle limit after their last request, and always by the limit
    plus at most a minute (a quarter of a short limit). This logs out a session
    that outlived that even if the cookie survived (a browser left open on a
    shared computer).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            # Django's clock, the one the session's expiry is kept by.
            now = timezone.now().timestamp()
            refresh = settings.SESSION_REFRESH_SECONDS
            limit = settings.SESSION_IDLE_MINUTES * 60 + refresh
            last_seen = request.session.get(LAST_SEEN)
            if last_seen and now - last_seen > limit:
                logout(request)
            elif not last_seen or now - last_seen >= refresh:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def client_ip(request):
    """The client's address for login throttling.

    Each proxy in front of Hamkor appends the address it received the request
    from to X-Forwarded-For. With ``TRUSTED_PROXY_COUNT`` proxies (nginx alone:
    one), the entry that many places from the right was written by the
    outermost of them: the client's address. Entries further left are the
    client's own claims, and are never read. A header with fewer entries, or
    an entry that is not an address, means the request did not come through
    every proxy (someone reached the application's port directly): then the
    address of the connection is the client's.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        entries = [entry.strip() for entry in forwarded if entry.strip()]
        if len(entries) >= count:
            try:
                return str(ipaddress.ip_address(entries[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def start_idle_clock(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: a new session starts its idle clock now, so
    that its first request does not have to write the session again."""
    request.session[LAST_SEEN] = timezone.now().timestamp()


class UserLanguageMiddleware:
    """The signed-in user's own language before the browser's (see
    accounts.languages). Reads only the session, which a signed-in request
    has loaded anyway; a response to a sign-in also sets the language
    cookie, so that the login page of the next visit speaks it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .languages import LANGUAGE_KEY, supported

        language = request.session.get(LANGUAGE_KEY)
        if language and supported(language) and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        chosen = getattr(request, "language_chosen", None)
        if chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

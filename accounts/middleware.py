import time

from django.conf import settings
from django.contrib.auth import logout

LAST_SEEN = "hamkor_last_seen"
# Refresh the session's expiry at most once a minute, not with a database
# write on every request.
REFRESH_SECONDS = 60


class IdleTimeoutMiddleware:
    """Log out a user who made no request for ``SESSION_IDLE_MINUTES``.

    The session's expiry (SESSION_COOKIE_AGE, the same length) moves forward
    when the session is saved; this saves it at most once a minute, and logs
    out a session whose last request is older than the idle limit even if the
    cookie survived (a browser left open on a shared computer).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN)
            if last_seen and now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
            elif not last_seen or now - last_seen > REFRESH_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def client_ip(request):
    """The client's address for login throttling.

    Behind the TLS proxy (BEHIND_TLS_PROXY) every request comes from the proxy,
    so the address is the last one the proxy appended to X-Forwarded-For;
    addresses before it are the client's own claims and are not trusted.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")


def start_idle_clock(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: a new session starts its idle clock now, so
    that its first request does not have to write the session again."""
    request.session[LAST_SEEN] = time.time()

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """At most the ``token`` rate (settings: API_RATE) of requests per token,
    and as many per user for requests made with the browser session: a
    runaway script is answered 429 without slowing its user's other
    scripts. Anonymous requests are not counted: the permissions refuse them
    before the throttle is asked.

    The counts are kept in the default cache, each worker process's own
    memory: the limit holds per process."""

    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

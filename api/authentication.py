"""A script's credential: one of its user's API tokens (api.models.ApiToken),
sent as ``Authorization: Bearer <token>`` (or ``Token <token>``, as Django
REST framework's own token scheme writes it)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.tokens import record_use, token_hash

from .models import ApiToken

SCHEMES = {b"bearer", b"token"}


class TokenAuthentication(BaseAuthentication):
    """The token's user, with the token as ``request.auth``; None for a
    request that sends no token (the next class, the session, may know it).

    A token that is unknown (mistyped, revoked) or whose user is deactivated
    is refused with 401, whatever the session: a script learns that its
    token no longer works. Queries: the token with its user; an UPDATE of
    when it was last used at most once an hour."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() not in SCHEMES:
            return None
        if len(words) != 2:
            raise AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”.")
            )
        try:
            token = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Unknown or revoked token.")) from None
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if api_token is None:
            raise AuthenticationFailed(_("Unknown or revoked token."))
        if not api_token.user.is_active:
            raise AuthenticationFailed(_("This token's user is deactivated."))
        record_use(api_token)
        return api_token.user, api_token

    def authenticate_header(self, request):
        # Named in the WWW-Authenticate header of a 401: without it, DRF
        # answers an unauthenticated request with 403.
        return 'Bearer realm="api"'

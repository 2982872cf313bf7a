from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tokens import new_token, token_hash

# Every token starts with this, so that secret scanners (GitHub's, gitleaks)
# can be taught to find one pasted into a repository or a chat.
TOKEN_PREFIX = "hamkor_"  # noqa: S105 (a marker, not a secret)
# What is kept of the token in clear, to tell one's tokens apart: the marker
# and 8 of its 43 random characters (48 of its 256 bits).
SHOWN_LENGTH = len(TOKEN_PREFIX) + 8


class ApiTokenManager(models.Manager):
    def create_token(self, *, user, name):
        """A new token of ``user`` called ``name``: ``(api_token, token)``.
        The token itself is in no other place: show it now, once."""
        token = new_token(TOKEN_PREFIX)
        api_token = self.create(
            user=user,
            name=name,
            token_hash=token_hash(token),
            prefix=token[:SHOWN_LENGTH],
        )
        return api_token, token


class ApiToken(models.Model):
    """A token a user made for a script or another program, which sends it
    to the API (/api/v1/) in its Authorization header and acts as that user
    (api/authentication.py).

    Only a hash of the token is stored: it is shown once, when made. Deleting
    the row revokes it (its user on /accounts/api-tokens/, an administrator
    in the admin). A token has no page of its own, hence no
    get_absolute_url."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        pgettext_lazy("API token", "name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Ministry dashboard”."),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=SHOWN_LENGTH)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["user", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], name="api_token_name_unique_per_user"
            )
        ]

    def __str__(self):
        return _("%(name)s, of %(user)s") % {"name": self.name, "user": self.user}

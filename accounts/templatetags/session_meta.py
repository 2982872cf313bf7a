from django import template
from django.utils.html import format_html

from accounts.session import session_settings

register = template.Library()


@register.simple_tag(takes_context=True)
def session_meta(context):
    """For a signed-in user's page, what static/js/session.js reads: where to
    ask whether the session lives, how often, and the idle limit."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    found = session_settings()
    return format_html(
        '<meta name="hamkor-session" data-url="{}" data-login-url="{}" '
        'data-idle-seconds="{}" data-refresh-seconds="{}">',
        found["url"],
        found["login_url"],
        found["idle_seconds"],
        found["refresh_seconds"],
    )

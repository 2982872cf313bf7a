from django import template
from django.urls import reverse

register = template.Library()

# Stands for the key while a URL is reversed: no table has so many rows.
KEY_PLACEHOLDER = 987_654_321_987


def current_app(context):
    """The current application, as ``{% url %}`` finds it."""
    request = getattr(context, "request", None)
    try:
        return request.current_app
    except AttributeError:
        try:
            return request.resolver_match.namespace
        except AttributeError:
            return None


@register.simple_tag(takes_context=True)
def pk_url(context, viewname, pk):
    """``{% url viewname pk %}`` for a view routed by an integer key, with
    ``viewname`` reversed once for each rendering of the template instead of
    once for each row: ``reverse`` costs about 20 µs, and a page of people
    links to 50 people and their organisations."""
    cache = context.render_context.setdefault(pk_url, {})
    if viewname not in cache:
        app = current_app(context)
        url = reverse(viewname, args=[KEY_PLACEHOLDER], current_app=app)
        cache[viewname] = url.split(str(KEY_PLACEHOLDER)), app
    parts, app = cache[viewname]
    if len(parts) != 2:
        # The placeholder's digits occur elsewhere in the URL too.
        return reverse(viewname, args=[pk], current_app=app)
    # What the "<int:pk>" converter would write.
    return f"{parts[0]}{int(pk)}{parts[1]}"

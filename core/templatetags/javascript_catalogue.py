from django import template

from core.jsi18n import catalogue_url

register = template.Library()


@register.simple_tag
def javascript_catalogue_url():
    """The address of the JavaScript catalogue in the page's language, which
    the browser keeps (core.jsi18n)."""
    return catalogue_url()

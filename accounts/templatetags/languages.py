from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def interface_languages():
    """The languages of the switch, each named in itself ("Oʻzbekcha",
    "Русский", "English") as settings.LANGUAGES names them: not translated
    into the current language, as ``get_available_languages`` would."""
    return settings.LANGUAGES

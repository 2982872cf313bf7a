"""Hamkor's message catalogues: which languages have one, and where.

``locale/<language>/LC_MESSAGES/`` holds Hamkor's own messages
(``manage.py makemessages``, ``make messages``).
"""

from django.conf import settings
from django.utils.translation import to_locale

# The language the messages are written in: it needs no catalogue.
SOURCE_LANGUAGE = "en"


def catalogue_languages():
    """The locale names (``uz``, ``ru``) of every interface language but the
    one the messages are written in."""
    return [
        to_locale(code)
        for code, _name in settings.LANGUAGES
        if code.split("-")[0] != SOURCE_LANGUAGE
    ]

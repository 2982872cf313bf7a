"""Russian dates: Django's, but a day and month as Russian writes them,
"29 января" (the genitive), where Django's writes "29 Январь"."""

from django.conf.locale.ru.formats import *  # noqa: F403

MONTH_DAY_FORMAT = "j E"

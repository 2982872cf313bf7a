"""British English dates with 24-hour times ("29 Jan 2025, 10:30"), as the
programme's partners write them; Django's en_GB writes "10:30 a.m."."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"

"""Uzbek (Latin) dates as a ministry writes them, where Django's own differ.

Django's "29-Yanvar, 2025-yil" capitalises the month (Uzbek writes month
names in lower case; the lower-case forms are the "alt. month" translations
in locale/libraries/uz) and puts a comma in the date. Hamkor writes
"29-yanvar 2025" and "29-yanvar 2025, 10:30", 24-hour times with the hour in
two digits as the lists align them. Everything else is Django's.
"""

from django.conf.locale.uz.formats import *  # noqa: F403

DATE_FORMAT = r"j-E Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"j-E Y, H:i"
MONTH_DAY_FORMAT = "j-E"

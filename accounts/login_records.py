"""django-axes' records named in the reader's language.

axes names its records in English with the time in UTC as Python prints it
("Attempted Access: 2026-12-06 02:17:00.817726+00:00"), and the admin shows
that name in the title, the breadcrumbs and the history of each record. Its
models give no way to name them otherwise, so at start-up each model's
``__str__`` is replaced by one that says the same in the reader's language,
with the time in the local zone as the rest of Hamkor writes it.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext


def _when(record):
    return date_format(localtime(record.attempt_time), "DATETIME_FORMAT")


def _who(record):
    return record.username or "—"


def attempt_name(record):
    return gettext("Failed sign-ins as %(username)s since %(time)s") % {
        "username": _who(record),
        "time": _when(record),
    }


def failure_name(record):
    text = gettext("Failed sign-in as %(username)s, %(time)s, from %(address)s")
    if record.locked_out:
        text = gettext(
            "Failed sign-in as %(username)s, %(time)s, from %(address)s: locked out"
        )
    return text % {
        "username": _who(record),
        "time": _when(record),
        "address": record.ip_address or "—",
    }


def log_name(record):
    return gettext("Sign-in as %(username)s, %(time)s") % {
        "username": _who(record),
        "time": _when(record),
    }


def install():
    AccessAttempt.__str__ = attempt_name
    AccessFailureLog.__str__ = failure_name
    AccessLog.__str__ = log_name

"""Login throttling: django-axes, counting failures two ways.

axes compares one count with one limit: for each of its lockout parameters it
sums the failures recorded, and locks when the largest sum reaches
``AXES_FAILURE_LIMIT``. Hamkor wants two limits:

- a username from one address (``["username", "ip_address"]``) is locked
  after ``AXES_FAILURE_LIMIT`` wrong passwords (5): someone mistyping locks
  only themself, on that computer;
- a username from every address together (``"username"``) is locked after
  ``AXES_USERNAME_FAILURE_LIMIT`` (10): a guesser who changes address, or
  forges one, for every try is stopped too. It is higher so that one person's
  lockout on one computer does not lock the account everywhere.

The handler below reads the username's count against its own limit, and
reports reaching it as reaching axes' limit.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render


class HamkorLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        """The largest count of failures among the lockout parameters, the
        username's alone counting as ``AXES_FAILURE_LIMIT`` once it reaches
        ``AXES_USERNAME_FAILURE_LIMIT`` (and as none before). One query per
        parameter."""
        limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, recorded in zip(parameters, attempts, strict=True):
            failures = recorded.aggregate(total=Sum("failures_since_start"))["total"]
            failures = failures or 0
            if parameter == "username":
                reached = failures >= settings.AXES_USERNAME_FAILURE_LIMIT
                failures = limit if reached else 0
            worst = max(worst, failures)
        return worst


def locked_out(request, original_response=None, credentials=None):
    """The lockout page, saying how many minutes the lock lasts
    (``AXES_LOCKOUT_CALLABLE``; axes' own page gives the template only an
    ISO-8601 duration)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin import HamkorForm
from core.forms import time_missing


class MeetingAdminForm(HamkorForm):
    """The meeting's admin form: the times may be left empty when the meeting
    is recorded by date alone ("Date only"), and must be given otherwise.

    A date-only start without a time is the local midnight of its day; a
    date-only end without a time closes its day (the next local midnight), so
    that a one-day meeting may be entered as 29 January to 29 January."""

    def clean(self):
        cleaned_data = super().clean()
        date_only = cleaned_data.get("date_only")
        for name in ("starts_at", "ends_at"):
            if name not in self.fields or not time_missing(self[name]):
                continue
            value = cleaned_data.get(name)
            if value is None:
                continue
            if not date_only:
                self.add_error(
                    name,
                    ValidationError(
                        _("Enter a time, or tick “Date only”."),
                        code="time_required",
                    ),
                )
            elif name == "ends_at":
                day = timezone.localtime(value).date() + datetime.timedelta(days=1)
                cleaned_data[name] = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time.min)
                )
        return cleaned_data

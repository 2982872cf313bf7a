"""meeting_when: a meeting's start in a list, as the template it replaced wrote
it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import engines

from meetings.models import Meeting

TASHKENT = ZoneInfo("Asia/Tashkent")
# meetings/_when.html before the tag.
TEMPLATE = (
    "<time datetime=\"{{ meeting.starts_at|date:'c' }}\">{% if meeting.date_only %}"
    '{{ meeting.starts_at|date:"DATE_FORMAT" }}{% else %}'
    '{{ meeting.starts_at|date:"DATE_FORMAT" }}, {{ meeting.starts_at|time:"H:i" }}'
    "{% endif %}</time>"
)


def render(source, meeting):
    return engines["django"].from_string(source).render({"meeting": meeting})


@pytest.mark.parametrize(
    ("starts_at", "date_only", "expected"),
    [
        (
            datetime.datetime(2025, 1, 29, 10, 0, tzinfo=TASHKENT),
            False,
            '<time datetime="2025-01-29T10:00:00+05:00">29 Jan 2025, 10:00</time>',
        ),
        (
            datetime.datetime(2025, 1, 29, 0, 0, tzinfo=TASHKENT),
            True,
            '<time datetime="2025-01-29T00:00:00+05:00">29 Jan 2025</time>',
        ),
        # 21:30 in UTC is half past two the next morning in Tashkent.
        (
            datetime.datetime(2025, 1, 28, 21, 30, tzinfo=datetime.UTC),
            False,
            '<time datetime="2025-01-29T02:30:00+05:00">29 Jan 2025, 02:30</time>',
        ),
    ],
)
def test_it_writes_the_local_start_as_the_template_did(starts_at, date_only, expected):
    meeting = Meeting(starts_at=starts_at, date_only=date_only)

    tag = render("{% load meeting_dates %}{% meeting_when meeting %}", meeting)

    assert tag == expected
    assert tag == render(TEMPLATE, meeting)


def test_the_included_template_writes_it_too():
    meeting = Meeting(starts_at=datetime.datetime(2025, 1, 29, 10, tzinfo=TASHKENT))

    included = render('{% include "meetings/_when.html" %}', meeting)

    assert included.strip() == render(TEMPLATE, meeting)

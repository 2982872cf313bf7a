from html import escape

from django import template
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from core.templatetags.list_links import pk_url
from core.templatetags.local_dates import day_text, moment_text

register = template.Library()


@register.simple_tag
def meeting_when(meeting):
    """When ``meeting`` starts, in local time, as ``<time>``: the date alone when
    its time was not recorded, else the date and time as the language writes
    them (``DATETIME_FORMAT``).

    A tag rather than a template included for each row of a list, which cost
    about 70 µs a row. It writes what ``{{ starts|date:"c" }}`` and
    ``{{ starts|date:"DATETIME_FORMAT" }}`` would (``isoformat()``) without
    the filters' format lookups, each text remembered
    (core.templatetags.local_dates): 75 → 10 µs a call, on the 50 rows of the
    meetings list and the 70 of a person's page."""
    # What the date filters get in a template: the time in the current zone.
    starts = template_localtime(meeting.starts_at)
    text = day_text(starts.date()) if meeting.date_only else moment_text(starts)
    return mark_safe(  # noqa: S308 - both parts escaped
        f'<time datetime="{escape(starts.isoformat())}">{escape(text)}</time>'
    )


@register.simple_tag(takes_context=True)
def meeting_rows(context, meetings):
    """The rows of the meetings list, as the template's loop wrote them
    (tests/meetings/test_meeting_list.py compares the two): 81 → 33 µs a
    row, measured as ``stakeholders.templatetags.stakeholder_rows``. ``meetings``
    come with their host and agenda items' topics."""
    rows = []
    for meeting in meetings:
        url = pk_url(context, "meetings:detail", meeting.pk)
        venue = escape(meeting.venue)
        if venue:
            venue = f'<div class="small text-body-secondary">{venue}</div>'
        host = meeting.host
        if host:
            at = pk_url(context, "organisations:detail", meeting.host_id)
            official = (
                f' title="{escape(host.name)}"'
                if getattr(host, "local_name", None)
                else ""
            )
            host = f'<a href="{escape(at)}"{official}>{escape(host.display_name)}</a>'
        agenda = "; ".join(
            escape(item.topic.name) for item in meeting.agenda_items.all()
        )
        rows.append(
            "\n    <tr>\n"
            f'      <td class="text-nowrap">{meeting_when(meeting)}</td>\n'
            f'      <td><a href="{escape(url)}">{escape(meeting.title)}</a>'
            f"{venue}</td>\n"
            f"      <td>{host or ''}</td>\n"
            f"      <td>{escape(meeting.get_status_display())}</td>\n"
            '      <td class="text-end">'
            f"{escape(localize(meeting.organisations_attended))}</td>\n"
            f'      <td class="small">{agenda}</td>\n'
            "    </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value escaped above

"""The attendance matrix's cells (templates/meetings/attendance.html)."""

from html import escape

from django import template
from django.utils.formats import localize
from django.utils.safestring import mark_safe

from core.models import choice_label
from core.templatetags.list_links import pk_url
from meetings.matrix import people_text, too_many_meetings
from meetings.models import Attendance

register = template.Library()

# A status is its word, a symbol and a colour: the word says it, the symbol
# and colour let an eye run down a column (colour alone would leave out a
# reader who does not tell green from red).
STATUS_MARKS = {
    Attendance.Status.ATTENDED: ("✓", "attended"),
    Attendance.Status.CONFIRMED: ("◑", "confirmed"),
    Attendance.Status.INVITED: ("○", "invited"),
    Attendance.Status.DECLINED: ("✗", "declined"),
    Attendance.Status.ABSENT: ("–", "absent"),
}


@register.filter(name="too_many_meetings")
def too_many_meetings_text(limit):
    """What the pivot says when the filter selects more than ``limit``."""
    return too_many_meetings(limit)


def status_html(status):
    symbol, _css = STATUS_MARKS.get(status, ("", ""))
    label = escape(choice_label(Attendance.Status, status))
    return f'<span aria-hidden="true" class="status-mark">{symbol}</span> {label}'


@register.simple_tag
def attendance_status(status):
    """A status as its symbol and word."""
    return mark_safe(status_html(status))  # noqa: S308 - escaped in status_html


@register.simple_tag(takes_context=True)
def pivot_rows(context, rows):
    """The pivot's rows (``meetings.matrix.PivotRow``): the organisation in the
    reader's language, a cell per meeting, the row's total. Written here
    rather than in a template loop: a page is 50 rows of up to 60 cells, and
    each label and status is escaped and translated once per page."""
    roles = {}
    statuses = {}
    html = []
    for row in rows:
        url = pk_url(context, "organisations:detail", row.pk)
        # The official name beside the reader's; the full name beside an
        # acronym.
        official = (
            f' title="{escape(row.name)}"' if row.local_name or row.acronym else ""
        )
        cells = []
        for cell in row.cells:
            if cell is None:
                cells.append('<td class="pivot-cell"></td>')
                continue
            if cell.role not in roles:
                roles[cell.role] = escape(str(cell.role_label))
            if cell.status not in statuses:
                _symbol, css = STATUS_MARKS.get(cell.status, ("", "other"))
                statuses[cell.status] = (css, status_html(cell.status))
            css, status = statuses[cell.status]
            people = (
                f'<div class="small">{escape(people_text(cell.people))}</div>'
                if cell.people > 1
                else ""
            )
            cells.append(
                f'<td class="pivot-cell pivot-{css}"><div>{roles[cell.role]}</div>'
                f'<div class="small">{status}</div>{people}</td>'
            )
        name = escape(row.display_name)
        if row.acronym:
            # A phone's narrow column shows the acronym (GIZ, UNOPS) rather
            # than six lines of "Deutsche Gesellschaft für …".
            name = (
                f'<span class="d-none d-sm-inline">{name}</span>'
                f'<span class="d-sm-none">{escape(row.acronym)}</span>'
            )
        html.append(
            "<tr>"
            f'<th scope="row" class="pivot-organisation">'
            f'<a href="{escape(url)}"{official}>{name}</a></th>'
            f"{''.join(cells)}"
            f'<td class="text-end fw-semibold">{escape(localize(row.total))}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value escaped above

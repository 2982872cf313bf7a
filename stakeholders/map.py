"""The stakeholder map (/map/): influence x interest from each organisation's
latest assessment, drawn as server-rendered SVG, with the same rows as a
table below it, and their exports (CSV, XLSX, the map as SVG).

Drawn on the server so that the page works without JavaScript, prints, and
the downloaded SVG is the very drawing on the page. The PNG is made from
that SVG in the browser (static/js/map-png.js): Pillow is not a dependency,
and drawing on the server would need fonts for Latin and Cyrillic labels
(docs/map.md).
"""

import math
import textwrap
from dataclasses import dataclass

from django.db.models import Case, CharField, Q, Value, When
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.exports import Column, choice_labels
from core.models import choice_label
from core.templatetags.list_links import KEY_PLACEHOLDER
from core.views import FilteredListView, first

from .assessments import HIGH, SCALE_MAX, Assessment, Quadrant, quadrant_of
from .filters import MapFilter
from .models import attach_local_names, local_name_of
from .views import type_labels

# At most this many marks are drawn: past it a map is a blot, and the page
# asks for a narrower filter (the table below pages through every row). It
# also bounds the page's size and time: 500 marks are some 100 KB of SVG.
MAX_MARKS = 500

# The drawing's geometry, in SVG user units (the drawing scales to its box).
CELL = 100
LEFT, TOP, RIGHT, BOTTOM = 64, 16, 16, 80
PLOT = CELL * SCALE_MAX
WIDTH, HEIGHT = LEFT + PLOT + RIGHT, TOP + PLOT + BOTTOM
PAD = 10  # between a cell's edge and its marks


@dataclass(frozen=True)
class StanceStyle:
    """How a stance is drawn: a colour of the Okabe-Ito palette (told apart
    by colour-blind readers) and a shape of its own, so that the colour is
    never the only sign."""

    colour: str
    shape: str

    def path(self, x, y, r):
        """The SVG path of the shape centred on (x, y), about 2r wide."""
        if self.shape == "circle":
            return (
                f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0"
                f"a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0z"
            )
        if self.shape == "square":
            s = r * 0.9
            return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}z"
        if self.shape == "triangle":
            return (
                f"M{x:.1f},{y - 1.2 * r:.1f}L{x + 1.1 * r:.1f},{y + 0.85 * r:.1f}"
                f"L{x - 1.1 * r:.1f},{y + 0.85 * r:.1f}z"
            )
        # diamond
        d = r * 1.25
        return (
            f"M{x:.1f},{y - d:.1f}L{x + d:.1f},{y:.1f}"
            f"L{x:.1f},{y + d:.1f}L{x - d:.1f},{y:.1f}z"
        )


STANCE_STYLES = {
    Assessment.Stance.SUPPORTIVE: StanceStyle("#009e73", "circle"),
    Assessment.Stance.NEUTRAL: StanceStyle("#0072b2", "square"),
    Assessment.Stance.OPPOSED: StanceStyle("#d55e00", "triangle"),
    Assessment.Stance.UNKNOWN: StanceStyle("#6e6e6e", "diamond"),
}
SHAPE_NAMES = {
    "circle": _("circle"),
    "square": _("square"),
    "triangle": _("triangle"),
    "diamond": _("diamond"),
}
QUADRANT_FILLS = {
    Quadrant.MANAGE_CLOSELY: "#fbeee6",
    Quadrant.KEEP_SATISFIED: "#eaf1f8",
    Quadrant.KEEP_INFORMED: "#e9f5ef",
    Quadrant.MONITOR: "#f2f2f2",
}


def cell_x(interest):
    """The left edge of the column of ``interest`` (1 left, 5 right)."""
    return LEFT + (interest - 1) * CELL


def cell_y(influence):
    """The top edge of the row of ``influence`` (5 at the top)."""
    return TOP + (SCALE_MAX - influence) * CELL


def spread(count):
    """Offsets from a cell's top-left corner for ``count`` marks sharing it,
    on a square grid filling the cell (so none hides another), and the
    marks' radius: deterministic, the same map for the same data."""
    columns = math.ceil(math.sqrt(count))
    step = (CELL - 2 * PAD) / columns
    radius = max(2.0, min(8.0, step * 0.36))
    return [
        (PAD + step * (k % columns + 0.5), PAD + step * (k // columns + 0.5))
        for k in range(count)
    ], radius


def shape_icon(stance, size=14):
    """A stance's shape alone, ``size`` units square (the page's key and
    the table)."""
    style = STANCE_STYLES[stance]
    half = size / 2
    return style.path(half, half, half * 0.7), style.colour


# A quadrant's label: 15 px bold, about 9.5 px a character in the fonts the
# drawing names; a line 18 px below (or above, at the bottom) the last.
LABEL_CHAR_WIDTH = 9.5
LABEL_LINE_HEIGHT = 18


def label_lines(label, width):
    """``label`` in lines that fit ``width`` pixels, broken between words
    (SVG text does not wrap: "Поддерживать удовлетворённость" ran into the
    quadrant beside it)."""
    return textwrap.wrap(
        str(label),
        width=max(1, int(width // LABEL_CHAR_WIDTH)),
        break_long_words=False,
        break_on_hyphens=False,
    )


def quadrant_boxes():
    """The four quadrants as rectangles with their label: the upper three
    scores (3 to 5) against the lower two, as ``quadrant_of``."""
    split_x, split_y = cell_x(HIGH), cell_y(HIGH - 1)
    right, bottom = LEFT + PLOT, TOP + PLOT
    boxes = [
        # quadrant, x, y, width, height
        (Quadrant.KEEP_SATISFIED, LEFT, TOP, split_x - LEFT, split_y - TOP),
        (Quadrant.MANAGE_CLOSELY, split_x, TOP, right - split_x, split_y - TOP),
        (Quadrant.MONITOR, LEFT, split_y, split_x - LEFT, bottom - split_y),
        (Quadrant.KEEP_INFORMED, split_x, split_y, right - split_x, bottom - split_y),
    ]
    drawn = []
    for quadrant, x, y, width, height in boxes:
        lines = label_lines(quadrant.label, width - 12)
        # The label in the quadrant's outer corner, clear of the split: from
        # the top down in the upper quadrants, ending at the bottom in the
        # lower ones.
        first_y = (
            y + 16
            if y == TOP
            else y + height - 8 - LABEL_LINE_HEIGHT * (len(lines) - 1)
        )
        drawn.append(
            {
                "label": quadrant.label,
                "fill": QUADRANT_FILLS[quadrant],
                "x": x,
                "y": y,
                "width": width,
                "height": height,
                "label_x": x + 6 if x == LEFT else x + width - 6,
                "label_lines": [
                    {"text": line, "y": first_y + LABEL_LINE_HEIGHT * n}
                    for n, line in enumerate(lines)
                ],
                "anchor": "start" if x == LEFT else "end",
            }
        )
    return drawn


def map_drawing(rows, earlier=None, link=None):
    """What the template draws: the quadrants, the grid, one mark per row
    (``marked_rows``: an organisation's latest assessment, spread within its
    cell) and, for ``earlier`` (organisation id -> (influence, interest) on
    the compared day), an arrow from that place to the latest. ``link``
    turns a path into the marks' address.

    Each of up to 500 marks costs a few microseconds: the words are
    translated and the address reversed once, not per mark (per mark, the
    stance's label and the address were 0.5 ms, a second's third at 500)."""
    cells = {}
    for row in rows:
        cells.setdefault((row["influence"], row["interest"]), []).append(row)
    title = str(
        _(
            "%(organisation)s: influence %(influence)s, interest "
            "%(interest)s, %(stance)s (%(day)s)"
        )
    )
    before, after = reverse("organisations:detail", args=[KEY_PLACEHOLDER]).split(
        str(KEY_PLACEHOLDER)
    )
    if link is not None:
        before = link(before)
    marks, arrows = [], []
    earlier = earlier or {}
    for (influence, interest), members in sorted(cells.items()):
        offsets, radius = spread(len(members))
        for row, (dx, dy) in zip(members, offsets, strict=True):
            style = STANCE_STYLES[row["stance"]]
            x, y = cell_x(interest) + dx, cell_y(influence) + dy
            organisation = row["organisation"]
            marks.append(
                {
                    "path": style.path(x, y, radius),
                    "colour": style.colour,
                    "href": f"{before}{organisation}{after}",
                    "title": title
                    % {
                        "organisation": row["local_name"] or row["organisation__name"],
                        "influence": influence,
                        "interest": interest,
                        "stance": choice_label(Assessment.Stance, row["stance"]),
                        "day": row["assessed_on"].isoformat(),
                    },
                }
            )
            place = earlier.get(organisation)
            if place is not None and place != (influence, interest):
                # From the same spot of the earlier cell, ending short of
                # the mark so the arrowhead does not cover it.
                x0, y0 = cell_x(place[1]) + dx, cell_y(place[0]) + dy
                length = math.hypot(x - x0, y - y0)
                shorten = (radius + 3) / length
                arrows.append(
                    {
                        "x1": round(x0, 1),
                        "y1": round(y0, 1),
                        "x2": round(x - (x - x0) * shorten, 1),
                        "y2": round(y - (y - y0) * shorten, 1),
                    }
                )
    legend = []
    for index, (stance, style) in enumerate(STANCE_STYLES.items()):
        lx = LEFT + index * (PLOT / 4)
        legend.append(
            {
                "label": stance.label,
                "path": style.path(lx + 7, HEIGHT - 14, 6),
                "colour": style.colour,
                "text_x": lx + 18,
            }
        )
    return {
        # Written here rather than by the template: its loop over 500 marks
        # rendered 9,000 variables, a third of the page's time.
        "marks_svg": mark_safe(  # noqa: S308 - every value escaped here
            "".join(
                f'<a href="{escape(mark["href"])}"><title>{escape(mark["title"])}'
                f'</title><path d="{mark["path"]}" fill="{mark["colour"]}"/></a>'
                for mark in marks
            )
        ),
        "width": WIDTH,
        "height": HEIGHT,
        # On the page the key is HTML, below: the drawing ends at its axis.
        "page_height": TOP + PLOT + 50,
        "left": LEFT,
        "top": TOP,
        "right": LEFT + PLOT,
        "bottom": TOP + PLOT,
        "middle_x": LEFT + PLOT / 2,
        "middle_y": TOP + PLOT / 2,
        "quadrants": quadrant_boxes(),
        "lines": [LEFT + CELL * k for k in range(SCALE_MAX + 1)],
        "hlines": [TOP + CELL * k for k in range(SCALE_MAX + 1)],
        "ticks": [
            {"value": v, "x": cell_x(v) + CELL / 2, "y": cell_y(v) + CELL / 2}
            for v in range(1, SCALE_MAX + 1)
        ],
        "marks": marks,
        "arrows": arrows,
        "legend": legend,
        "legend_y": HEIGHT - 10,
        "axis_y": TOP + PLOT + 40,
    }


def quadrant_case():
    """The quadrant's words of a row, in the database (an export's column),
    in the request's language: the SQL of ``quadrant_of``."""
    high_influence, high_interest = Q(influence__gte=HIGH), Q(interest__gte=HIGH)
    return Case(
        When(
            high_influence & high_interest,
            then=Value(str(Quadrant.MANAGE_CLOSELY.label)),
        ),
        When(high_influence, then=Value(str(Quadrant.KEEP_SATISFIED.label))),
        When(high_interest, then=Value(str(Quadrant.KEEP_INFORMED.label))),
        default=Value(str(Quadrant.MONITOR.label)),
        output_field=CharField(),
    )


class MapView(FilteredListView):
    """The map of the organisations' latest assessments matching the filter
    (up to ``MAX_MARKS``), and the same rows as a paged, sortable table.

    The exports are of the same rows: each organisation's latest assessment
    (the map's data, with its quadrant), not the history, which each
    organisation's page and the admin's assessment list show.

    Queries, whatever the number of organisations and assessments: the
    types (the filter's checkboxes), the table's count and page, the map's
    marks, the organisations' names in the reader's language, and with
    ``compare`` the assessments in force that day."""

    permission_required = "stakeholders.view_assessment"
    model = Assessment
    filterset_class = MapFilter
    template_name = "stakeholders/map.html"
    presentation_fields = ("sort", "compare")
    export_filename = "assessments"
    # At most one row per organisation, and each of its queries reads every
    # organisation's latest assessment: at XL on PostgreSQL its first 2,000
    # rows read apart made it 257 ms against 158 in one query (first byte 74
    # against 99 ms), 1.9 times its raw SQL→CSV against 1.3 (median of 5).
    export_head_first = False
    export_columns = [
        Column(_("Organisation"), "organisation__name"),
        Column(_("Acronym"), "organisation__acronym"),
        Column(
            pgettext_lazy("organisation", "Type"),
            "organisation__type__name",
            display=type_labels,
        ),
        Column(_("Influence"), "influence"),
        Column(_("Interest"), "interest"),
        Column(_("Quadrant"), "quadrant"),
        Column(_("Stance"), "stance", display=choice_labels),
        Column(_("Assessed on"), "assessed_on"),
        Column(_("Assessed by"), "assessed_by__username"),
        Column(_("Note"), "note"),
    ]
    svg_download = False

    def get_queryset(self):
        return (
            Assessment.objects.latest_per_organisation()
            .select_related("organisation", "organisation__type", "assessed_by")
            .defer(
                "organisation__notes",
                "organisation__address",
                "organisation__search_key",
            )
            .order_by("organisation__name", "pk")
        )

    def export(self, queryset):
        return super().export(queryset.annotate(quadrant=quadrant_case()))

    def get(self, request, *args, **kwargs):
        if not self.svg_download:
            return super().get(request, *args, **kwargs)
        self.filterset = self.filterset_class(
            request.GET or None, queryset=self.get_queryset(), request=request
        )
        if self.filterset.is_bound and not self.filterset.is_valid():
            return HttpResponseBadRequest(
                self.filterset.form.errors.as_text(),
                content_type="text/plain; charset=utf-8",
            )
        rows, _more = self.marked_rows()
        svg = render_to_string(
            "stakeholders/_map_svg.html",
            {
                "map": map_drawing(
                    rows, self.earlier(rows), link=request.build_absolute_uri
                ),
                "standalone": True,
            },
            request=request,
        )
        response = HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
            content_type="image/svg+xml; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="stakeholder-map.svg"'
        return response

    def marked_rows(self):
        """The rows the map draws (``MAX_MARKS`` at most), each
        organisation's name in the reader's language with it, and whether
        there are more (one query). Plain values, not model instances: 500
        assessments with their organisations, types and users took longer
        to build than the query took to run.

        In the order of their organisations' keys, which the latest
        assessments are found in (``assessment_latest_idx``), not by name:
        by name, every match was joined to its organisation and sorted to
        draw 500 of them (21 ms of 8,220 on PostgreSQL; 4 ms by key). Which
        500 are drawn of more does not matter: the page asks for a narrower
        filter, and the table lists them all."""
        rows = (
            self.filterset.qs.order_by("organisation_id")
            .annotate(local_name=local_name_of("organisation"))
            .values(
                "organisation",
                "organisation__name",
                "local_name",
                "influence",
                "interest",
                "stance",
                "assessed_on",
            )
        )
        return first(rows, MAX_MARKS)

    def compare_day(self):
        """The ``compare`` day, when the filter has one and is valid."""
        form = self.filterset.form
        if not self.filterset.is_bound or form.errors:
            return None
        return form.cleaned_data.get("compare")

    def earlier(self, rows):
        """With ``compare``: each drawn organisation's (influence, interest)
        in force on that day, by organisation id (one query); else None."""
        compare = self.compare_day()
        if not compare:
            return None
        in_force = Assessment.objects.latest_per_organisation(
            on=compare, organisations=[row["organisation"] for row in rows]
        ).values_list("organisation", "influence", "interest")
        return {pk: (influence, interest) for pk, influence, interest in in_force}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["object_list"]
        valid = not self.filterset.form.errors
        marked, more = self.marked_rows() if valid else ([], False)
        attach_local_names(row.organisation for row in page)
        for row in page:
            row.quadrant_label = quadrant_of(row.influence, row.interest).label
            row.stance_label = choice_label(Assessment.Stance, row.stance)
            row.icon_path, row.icon_colour = shape_icon(row.stance)
        context.update(
            map=map_drawing(marked, self.earlier(marked)) if valid else None,
            more_marks=more,
            max_marks=MAX_MARKS,
            compare=self.compare_day(),
            stance_key=[
                {
                    "label": stance.label,
                    "shape": SHAPE_NAMES[style.shape],
                    "colour": style.colour,
                    "path": shape_icon(stance)[0],
                }
                for stance, style in STANCE_STYLES.items()
            ],
        )
        return context

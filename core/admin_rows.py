"""The rows of an admin changelist, as Django's ``result_list`` tag writes
them, with what does not change from row to row worked out once a page.

Django's ``items_for_result`` works out each cell's column afresh for every
row: the link to the row's change form (a ``reverse()`` and the preserved
filters parsed and encoded again, per row), the empty value's text, the
cell's classes, and it writes each cell with ``format_html``. On the load
mix's admin changelists (50 rows, 5-8 columns) that came to 39 % of a page's
CPU, nearly half of it the same work 50 times; measured in
docs/performance.md (session of 7 December, fourth).

``result_list`` gives the same context as Django's, character for character
(tests/core/test_admin_rows.py compares them on every registered model's
changelist, with filters preserved and with editable rows). A changelist
opened as a popup or for a ``to_field`` (a raw-id lookup's) goes to Django's
own code; the link of a row whose primary key is not an integer is reversed
for that row, as Django does.
"""

import datetime

from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

# Stands for a row's primary key in the link written once a page; replaced,
# first occurrence only (the path comes before the preserved filters).
PK_MARK = "hamkor-row-pk"

NOWRAP_FIELDS = (models.DateField, models.TimeField, models.ForeignKey)


def cell(tag, classes, inner):
    """A cell of the row: ``inner`` is escaped HTML already."""
    attribute = f' class="{classes}"' if classes else ""
    return mark_safe(f"<{tag}{attribute}>{inner}</{tag}>")  # noqa: S308


class Column:
    """One entry of ``list_display``: its name, its cell's class, whether it
    links to the row's change form and in which tag."""

    def __init__(self, cl, index, name, is_first):
        self.name = name
        self.css = f"field-{admin_list._coerce_field_name(name, index)}"
        if cl.list_display_links is None:
            self.link = False
        elif is_first and not cl.list_display_links:
            self.link = True
        else:
            self.link = name in cl.list_display_links
        self.tag = "th" if self.link and is_first else "td"


class Rows:
    """Django's ``items_for_result`` for every row of one changelist page."""

    def __init__(self, cl):
        self.cl = cl
        self.model_admin = cl.model_admin
        self.empty = cl.model_admin.get_empty_value_display()
        self.pk_name = cl.model._meta.pk.name
        self.columns = []
        first = True
        for index, name in enumerate(cl.list_display):
            column = Column(cl, index, name, first)
            first = first and not column.link
            self.columns.append(column)
        self.link_template = self._link_template()

    def _link_template(self):
        """The link to a row's change form with the filters preserved, its
        primary key left as ``PK_MARK``; None where it cannot be reversed
        (the rows are then written without links, as Django does)."""
        cl = self.cl
        marker = type("Marker", (), {cl.pk_attname: PK_MARK})()
        try:
            return self._with_filters(cl.url_for_result(marker))
        except NoReverseMatch:
            return None

    def _with_filters(self, url):
        cl = self.cl
        return add_preserved_filters(
            {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
        )

    def link(self, result):
        pk = getattr(result, self.cl.pk_attname)
        if type(pk) is int:
            return self.link_template.replace(PK_MARK, str(pk), 1)
        return self._with_filters(self.cl.url_for_result(result))

    def cells(self, result, form):
        for column in self.columns:
            name = column.name
            empty = self.empty
            classes = column.css
            try:
                f, attr, value = lookup_field(name, result, self.model_admin)
            except ObjectDoesNotExist:
                shown = empty
            else:
                empty = getattr(attr, "empty_value_display", empty)
                if isinstance(value, str) and value.strip() == "":
                    value = ""
                if f is None or f.auto_created:
                    if name == "action_checkbox":
                        classes = "action-checkbox"
                    boolean = getattr(attr, "boolean", False)
                    if isinstance(attr, property) and hasattr(attr, "fget"):
                        boolean = getattr(attr.fget, "boolean", False)
                    shown = display_for_value(value, empty, boolean)
                    if isinstance(value, (datetime.date, datetime.time)):
                        classes += " nowrap"
                else:
                    if isinstance(f.remote_field, models.ManyToOneRel):
                        related = getattr(result, f.name)
                        shown = empty if related is None else related
                    else:
                        shown = display_for_field(
                            value, f, empty, avoid_link=column.link
                        )
                    if isinstance(f, NOWRAP_FIELDS):
                        classes += " nowrap"
            if column.link and self.link_template is not None:
                url = conditional_escape(self.link(result))
                shown = conditional_escape(shown)
                yield cell(column.tag, classes, f'<a href="{url}">{shown}</a>')
                continue
            tag = column.tag if column.link else "td"
            if (
                not column.link
                and form
                and name in form.fields
                and not (name == self.pk_name and form[self.pk_name].is_hidden)
            ):
                bound = form[name]
                # Both rendered by Django, as Django joins them.
                shown = mark_safe(str(bound.errors) + str(bound))  # noqa: S308
            yield cell(tag, classes, conditional_escape(shown))
        if form and not form[self.pk_name].is_hidden:
            yield cell("td", None, conditional_escape(form[self.pk_name]))

    def __iter__(self):
        cl = self.cl
        if cl.formset:
            pairs = zip(cl.result_list, cl.formset.forms, strict=False)
        else:
            pairs = ((result, None) for result in cl.result_list)
        for result, form in pairs:
            yield admin_list.ResultList(form, self.cells(result, form))


def results(cl):
    """Django's ``results(cl)``: the rows, each a list of cells."""
    if cl.is_popup or cl.to_field:
        return admin_list.results(cl)
    return iter(Rows(cl))


def result_list(cl):
    """The context of Django's ``result_list`` tag."""
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(results(cl)),
    }

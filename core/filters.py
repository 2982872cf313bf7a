"""Filters that any list uses: local days as datetime ranges, and the
``sort`` parameter."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.db.models.constants import LOOKUP_SEP
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def day_start(day):
    """The first instant of ``day`` in the current time zone (Asia/Tashkent)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def in_local_days(prefix, after=None, before=None):
    """Lookups for a datetime field ``prefix`` from the start of ``after`` to the
    end of ``before``, both local days, so an index on the field can serve them."""
    lookups = {}
    if after:
        lookups[f"{prefix}__gte"] = day_start(after)
    if before:
        lookups[f"{prefix}__lt"] = day_start(before + datetime.timedelta(days=1))
    return lookups


class SortFilter(django_filters.OrderingFilter):
    """The ``sort`` parameter: one of the visible columns, ``-`` for descending.

    Empty values (an organisation never met) sort last both ways, on every
    engine, and the primary key breaks ties, so that equal rows keep one order
    and none is shown on two pages or on none."""

    def __init__(self, *, default, ties=None, **kwargs):
        kwargs.setdefault("label", _("Sort by"))
        # The list's own order, as a ``sort`` value ("name", "-date"): shown
        # as chosen when the query asks none (the view's queryset sorts so;
        # a test compares the two), instead of an empty "---------".
        self.default = default
        kwargs["empty_label"] = None
        kwargs["widget"] = type("SortSelect", (SortSelect,), {"default": default})
        # Per field, what breaks its ties before the key, in the field's
        # direction: a joined row's own key (core.models.JoinedKey), so
        # that each joined row's rows stay together, in the order of an
        # index on the field and that key.
        self.ties = ties or {}
        super().__init__(**kwargs)

    def build_choices(self, fields, labels):
        """django-filter's choices, with each "… (descending)" translated when
        the form is shown: django-filter writes it once, when the filter set
        is defined, in the language of the moment (English)."""
        ascending = [
            (param, labels.get(field, _(pretty_name(param))))
            for field, param in fields.items()
        ]
        descending = [
            (f"-{param}", labels.get(f"-{param}") or descending_label(label))
            for param, label in ascending
        ]
        return [
            choice
            for pair in zip(ascending, descending, strict=True)
            for choice in pair
        ]

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            if not param:
                continue
            name = self.param_map.get(param.lstrip("-"), param.lstrip("-"))
            descending = param.startswith("-")
            # NULLS LAST only where there can be NULLs: on a column that has
            # none the plain order lets the database read it from an index
            # (PostgreSQL's DESC index puts NULLs first).
            nulls_last = True if nullable(qs.model, name) else None
            for field in [F(name), *self.ties.get(name, [])]:
                ordering.append(
                    field.desc(nulls_last=nulls_last)
                    if descending
                    else field.asc(nulls_last=nulls_last)
                )
        return qs.order_by(*ordering, "pk")


class SortSelect(forms.Select):
    """The sort's select: with no ``sort`` asked, the list's default order
    chosen. A class per filter (django-filter builds the widget itself),
    its ``default`` set by ``SortFilter``."""

    default = None

    def format_value(self, value):
        values = super().format_value(value)
        return values if any(values) else [self.default]


# "Name (descending)", in the language of the form's request.

descending_label = lazy(lambda label: gettext("%s (descending)") % label, str)


def nullable(model, path):
    """Whether the field at ``path`` (``type__name``) can be NULL: through a
    nullable foreign key, or itself. Unknown names (annotations) may be."""
    for name in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.null:
            return True
        model = field.related_model
    return False

"""The admin's base classes: versioned forms, autocomplete widgets that
need no query, capped counts, history, and inline rows checked against
every constraint."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import router, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.forms import VersionedModelForm, limit_dates
from core.history import Timeline
from core.paginators import COUNT_LIMIT, CappedCountPaginator, count_limit_for
from core.services import records_bulk_update


def count_of(related, via):
    """A correlated ``COUNT`` of the ``related`` rows whose ``via`` is the outer
    row, for a changelist column.

    Unlike ``Count()`` over a join it needs no GROUP BY of the whole table: it
    is computed for the rows of the page only, and the changelist's total count
    leaves it out.
    """
    rows = (
        related.filter(**{via: OuterRef("pk")})
        .order_by()
        .values(via)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, handed the selected object when the form's
    instance already holds it.

    Django looks up each widget's selected option with a query of its own: a
    meeting with 300 attendance rows cost 600 queries to open, and an
    attendance row's own form three. Forms are read with their related objects
    (``select_related``), and ``HamkorForm`` passes each widget the object of
    its instance.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preloaded = {}

    def optgroups(self, name, value, attr=None):
        selected = {
            str(v) for v in value if str(v) not in self.choices.field.empty_values
        }
        if not selected or not selected <= self.preloaded.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        for key in sorted(selected):
            label = self.choices.field.label_from_instance(self.preloaded[key])
            options.append(self.create_option(name, key, label, selected, len(options)))
        return [(None, options, 0)]


class HamkorForm(VersionedModelForm):
    """The admin's forms, main and inline: the version check, dates within
    the years every engine can store (``limit_dates``), and autocomplete
    widgets handed the related objects the instance was read with."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self)
        cached = self.instance._state.fields_cache
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            related = cached.get(name)
            if isinstance(widget, PreloadedAutocompleteSelect) and related is not None:
                widget.preloaded = {str(related.pk): related}


class HamkorFormMixin:
    """Defaults shared by model admins and inlines: forms that carry the version
    they were opened at (see VersionedModelForm), and autocomplete widgets that
    need no query of their own (the admin's ``get_object`` or the inline's
    ``get_queryset`` must ``select_related`` the autocomplete fields)."""

    form = HamkorForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # A read-only form saves nothing: no version to carry (it would
            # show as a read-only field, "Version seen: None").
            return fieldsets
        if any(
            "seen_version" in fields for fields in map(flatten_fieldsets, [fieldsets])
        ):
            return fieldsets
        (name, options), *rest = fieldsets
        options = {**options, "fields": [*options["fields"], "seen_version"]}
        return [(name, options), *rest]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HamkorInlineFormSet(BaseInlineFormSet):
    """Inline rows whose submitted values equal the record's are not cleaned.

    Django validates every row of an inline on save, although it writes only
    the rows that changed: each unchanged row still cost a query for its id,
    one for each related record, the version check and one per constraint (8
    queries and about 1.3 ms a position; the organisation change form's save
    in the load benchmark spent 16 of its 23 ms of CPU on rows nobody
    touched). Such a row is now left as it is, as Django leaves an empty
    extra row (``empty_permitted``): not cleaned, not saved, not checked
    against a newer version (nothing of it is written, so nobody's change is
    overwritten). A row with any change, or ticked for deletion, is cleaned
    as before."""

    def _construct_form(self, i, **kwargs):
        if self.is_bound and i < self.initial_form_count():
            kwargs["empty_permitted"] = True
        return super()._construct_form(i, **kwargs)

    @cached_property
    def empty_form(self):
        """The template of a new row, built once. Django builds it anew each
        time it is asked for (the inline's headings, its media, the template
        row): 16 forms, each a deep copy of its fields, for an
        organisation's three inlines on its change form."""
        return super().empty_form


class ConstraintCheckingFormSet(HamkorInlineFormSet):
    """Inline rows checked against every constraint, the parent link included.

    Django 5.2 leaves the constraints that involve the parent's foreign key out of
    an inline form's validation (ticket #35676, fixed in Django 6.0), and checks
    rows against each other only for plain unique fields. A duplicate would then
    reach the database as an IntegrityError, a server error for the coordinator.
    This checks each changed row against the database and, through ``row_key``,
    against the other rows of the form.
    """

    duplicate_field = None
    duplicate_message = ""

    def row_key(self, instance):
        """A key that two rows of the form must not share, or None."""
        return None

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if form.errors or not form.has_changed() or self._should_delete_form(form):
                continue
            instance = form.instance
            setattr(instance, self.fk.name, self.instance)
            if self.instance.pk is not None:
                try:
                    instance.validate_constraints()
                except ValidationError as error:
                    form.add_error(None, error)
                    continue
            key = self.row_key(instance)
            if key is None:
                continue
            if key in seen:
                form.add_error(self.duplicate_field, self.duplicate_message)
            seen.add(key)


class HamkorInline(HamkorFormMixin):
    """Defaults shared by every inline: those of HamkorFormMixin, rows checked
    against every constraint and unchanged rows left alone on save
    (``ConstraintCheckingFormSet``), and no empty rows."""

    formset = ConstraintCheckingFormSet
    extra = 0


class HamkorTabularInline(HamkorInline, admin.TabularInline):
    """A tabular inline whose rows carry no caption.

    Django heads each saved row with its ``str()``, which names the parent
    ("… at 29 Jan 2025 — WHO and UZINFOCOM meeting on …") and the row's own
    fields again; the row's fields say what it is. Nor a "View on site" link:
    the rows' pages are their parent's, and each related field has its own
    view link.
    """

    template = "admin/edit_inline/tabular_uncaptioned.html"
    view_on_site = False


class HamkorChangeList(ChangeList):
    """Django's changelist, answering a filter value that the database cannot
    take as any other bad filter value (a redirect to the list with
    ``?e=1``), not with a 500.

    Such values are found in two ways: a NUL character before the query (on
    PostgreSQL, text cannot hold one; the search box's own form refuses it
    with a message), and a number too large for the database when the list
    is counted (an id past 2**63 in an ``__in`` lookup on SQLite, or a day of
    year 1 or 9999 whose start falls outside the years a UTC datetime can
    have)."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for key, values in lookup_params.items():
            if "\x00" in key or any("\x00" in value for value in values):
                raise IncorrectLookupParameters(f"A NUL character in {key!r}.")
        return lookup_params

    def get_filters(self, request):
        # A date hierarchy's ?<field>__year=9999 makes Django compute the
        # start of year 10000 (a ValueError, outside its own check).
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request):
        try:
            super().get_results(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error

    def get_ordering(self, request, queryset):
        # A column left out of ``sortable_by`` has no sort link, and a
        # hand-written ?o= does not sort by it either: it was left out because
        # sorting by it sorts the whole table. With no sortable column left,
        # the list keeps its own order.
        columns = self.params.get(ORDER_VAR, "").split(".")
        kept = [column for column in columns if self._sortable(column)]
        if kept:
            self.params[ORDER_VAR] = ".".join(kept)
        else:
            self.params.pop(ORDER_VAR, None)
        return super().get_ordering(request, queryset)

    def _sortable(self, column):
        try:
            return self.list_display[int(column.lstrip("-"))] in self.sortable_by
        except (IndexError, ValueError):
            return False


# Django's own message (ModelAdmin.action_checkbox), translated by Django's
# catalogues: held in a name so that it is not extracted into Hamkor's.
ACTION_CHECKBOX_LABEL = "Select this object for an action - {}"


class HamkorAdmin(HamkorFormMixin, SimpleHistoryAdmin):
    """Defaults shared by every Hamkor model admin.

    A full ``COUNT(*)`` of a big table on every changelist is the first thing to
    slow down as the programme grows, so the unfiltered total is not shown.
    """

    show_full_result_count = False
    list_per_page = 50
    paginator = CappedCountPaginator
    # Filtered and searched lists are counted up to this many rows (see
    # CappedCountPaginator), or to ten pages past the one asked for, so that
    # the page links always lead on.
    count_limit = COUNT_LIMIT

    # The related objects a change form shows (in its title, its autocomplete
    # widgets), read with its object rather than by a query each.
    object_select_related = []

    def get_changelist(self, request, **kwargs):
        return HamkorChangeList

    def action_checkbox(self, obj):
        """Django's checkbox of a changelist row, written directly: Django
        builds a CheckboxInput and renders it for every row (7 % of an admin
        changelist's CPU). tests/core/test_admin_rows.py compares the two."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext(ACTION_CHECKBOX_LABEL), str(obj)),
        )

    def get_paginator(self, request, queryset, per_page, **kwargs):
        limit = count_limit_for(request.GET.get(PAGE_VAR), per_page, self.count_limit)
        return self.paginator(queryset, per_page, count_limit=limit, **kwargs)

    # Foreign keys a search also finds rows by: the rows whose related record
    # that model's own search finds (a position by its person's name, in
    # any script: core.names), beside those ``search_fields`` find.
    search_relations = ()

    def get_search_results(self, request, queryset, search_term):
        """The model's own search, where its queryset has one (organisations,
        people, meetings, topics), for the changelist and the autocomplete
        alike: it compares names across scripts and spellings
        (``core.names.search_terms``) and reads the matching keys as a set
        (see ``OrganisationQuerySet.search``) rather than testing row by row
        along the list's sort index. Else Django's search of
        ``search_fields``, and ``search_relations``."""
        if hasattr(queryset, "search"):
            found, duplicates = queryset.search(search_term), False
        else:
            found, duplicates = super().get_search_results(
                request, queryset, search_term
            )
        term = search_term.strip()
        if self.search_relations and term:
            related = Q()
            for name in self.search_relations:
                model = self.opts.get_field(name).related_model
                ids = model._default_manager.search(term).values("pk")
                related |= Q(**{f"{name}__in": ids})
            found |= queryset.filter(related)
        return found, duplicates

    def get_object(self, request, object_id, from_field=None):
        """The object of a change, delete or history page, with
        ``object_select_related``. Read from the model admin's base queryset,
        not from ``get_queryset``: the changelist's computed columns are not
        shown there (the busiest organisation's meeting statistics count
        60,000 rows). A subclass that limits ``get_queryset`` to some rows
        must limit this too."""
        queryset = (
            super().get_queryset(request).select_related(*self.object_select_related)
        )
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_changelist_form(self, request, **kwargs):
        # Django builds editable changelist rows from a plain ModelForm; these
        # carry the version check too.
        kwargs.setdefault("form", self.form)
        return super().get_changelist_form(request, **kwargs)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version, read-only. simple-history would save a POST here
        (a "revert") checking only the view permission and bypassing the
        version check; a record is restored by editing it instead."""
        if request.method == "POST":
            raise PermissionDenied
        self._404_unless_ids(object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    # The rows whose changes a record's history page shows with its own
    # (``core.history.Source``: a meeting's attendance, agenda, follow-ups).
    history_related = ()

    def history_view(self, request, object_id, extra_context=None):
        """The record's changes and those of ``history_related``, newest
        first, with names, dates in words, who and why (see core.history).
        A deleted record's page is simple-history's (its last version)."""
        self._404_unless_ids(object_id)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return super().history_view(request, object_id, extra_context)
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        paginator = Paginator(
            Timeline(obj, self.history_related), self.history_list_per_page
        )
        page_obj = paginator.get_page(request.GET.get(PAGE_VAR))
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %s") % obj,
            "subtitle": None,
            "object": obj,
            "module_name": capfirst(self.opts.verbose_name_plural),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return self.render_history_view(request, "admin/hamkor_history.html", context)

    def _404_unless_ids(self, object_id, version_id=None):
        """A 404 for a history URL whose ids are not ids: simple-history
        filters by them as sent (any text: ``<path:object_id>``), a 500."""
        history = getattr(self.model, self.opts.simple_history_manager_attribute)
        try:
            self.opts.pk.to_python(unquote(object_id))
            if version_id is not None:
                history.model._meta.pk.to_python(version_id)
        except ValidationError:
            raise Http404(_("No such record.")) from None

    def changelist_view(self, request, extra_context=None):
        # Editable rows are checked and saved in one transaction, so that the
        # version check holds its lock until the save (the change form view is
        # atomic already).
        if request.method == "POST":
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        return super().changelist_view(request, extra_context)

    def _update_with_history(self, request, queryset, message, **values):
        """Run an action's update with history; ``message`` is an
        ``ngettext_lazy`` keyed on ``count``."""
        count = records_bulk_update(queryset=queryset, user=request.user, **values)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

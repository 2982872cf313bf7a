from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_countries.filters import CountryFilter
from simple_history.admin import SimpleHistoryAdmin

from core.forms import VersionedModelForm, limit_dates
from core.paginators import COUNT_LIMIT, CappedCountPaginator, count_limit_for
from meetings import stats

from .models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)
from .services import person_erase, person_export, records_bulk_update


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


class HamkorInline(HamkorFormMixin):
    """Defaults shared by every inline: those of HamkorFormMixin, and no empty
    rows."""

    extra = 0


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

    def get_paginator(self, request, queryset, per_page, **kwargs):
        limit = count_limit_for(request.GET.get(PAGE_VAR), per_page, self.count_limit)
        return self.paginator(queryset, per_page, count_limit=limit, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """The model's own search, where its queryset has one (organisations,
        people, meetings), for the changelist and the autocomplete alike: it
        reads the matching keys as a set (see ``OrganisationQuerySet.search``)
        rather than testing row by row along the list's sort index."""
        if not hasattr(queryset, "search"):
            return super().get_search_results(request, queryset, search_term)
        return queryset.search(search_term), False

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

    def history_view(self, request, object_id, extra_context=None):
        self._404_unless_ids(object_id)
        return super().history_view(request, object_id, extra_context)

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


@admin.register(OrganisationType)
class OrganisationTypeAdmin(HamkorAdmin):
    list_display = ["name", "slug", "iati_code", "organisation_count"]
    search_fields = ["name", "slug"]
    list_select_related = []
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "iati_code", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(organisation_count=count_of(Organisation.objects.all(), "type"))
        )

    @admin.display(description=_("organisations"), ordering="organisation_count")
    def organisation_count(self, obj):
        return obj.organisation_count


class ConstraintCheckingFormSet(BaseInlineFormSet):
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


class OrganisationNameFormSet(ConstraintCheckingFormSet):
    duplicate_field = "name"
    duplicate_message = _("This organisation already has this name.")

    def row_key(self, instance):
        return instance.name.casefold()


class OrganisationNameInline(HamkorInline, admin.TabularInline):
    model = OrganisationName
    formset = OrganisationNameFormSet
    fields = ["name", "language", "is_former"]


class OrganisationIdentifierInline(HamkorInline, admin.TabularInline):
    model = OrganisationIdentifier
    fields = ["scheme", "value"]


class PositionInline(HamkorInline, admin.TabularInline):
    model = Position
    fields = ["person", "organisation", "title", "department", "since", "until"]
    autocomplete_fields = ["person", "organisation"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "organisation")


@admin.register(Organisation)
class OrganisationAdmin(HamkorAdmin):
    list_display = [
        "name",
        "acronym",
        "type_name",
        "country_name",
        "parent",
        "is_active",
        "meetings_attended",
        "last_met",
    ]
    # By name, then by key: the order of the (name, id) index, so that a page
    # is read off the index instead of sorting every organisation (Django
    # would add "-pk", which the index cannot serve).
    ordering = ["name", "pk"]
    list_select_related = ["type", "parent"]
    list_filter = ["type", ("country", CountryFilter), "is_active"]
    # The search itself is OrganisationQuerySet.search (other names too); these
    # fields only enable the search box and the autocomplete endpoint.
    search_fields = ["name", "acronym"]
    search_help_text = _("Name, acronym or any other name.")
    autocomplete_fields = ["type", "parent"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "acronym", "type", "parent", "country"]}),
        (_("Contact"), {"fields": ["website", "email", "phone", "address"]}),
        (None, {"fields": ["notes", "is_active", "created_at", "updated_at"]}),
    ]
    inlines = [OrganisationNameInline, OrganisationIdentifierInline, PositionInline]
    actions = ["mark_active", "mark_inactive"]
    object_select_related = ["type", "parent"]
    change_form_template = "admin/stakeholders/organisation/change_form.html"

    # An organisation with more positions than this lists them in the position
    # changelist (filtered to it), not as inline rows: the national core have
    # a thousand and more, a form that takes seconds to render and to post.
    position_inline_limit = 200

    def get_inlines(self, request, obj):
        if obj is not None and self._position_count(obj) > self.position_inline_limit:
            return [inline for inline in self.inlines if inline is not PositionInline]
        return self.inlines

    def _position_count(self, obj):
        # Asked by get_inlines and by render_change_form: one query per request.
        if not hasattr(obj, "_position_total"):
            obj._position_total = obj.positions.count()
        return obj._position_total

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            total = self._position_count(obj)
            if total > self.position_inline_limit:
                context.update(
                    position_total=total, position_limit=self.position_inline_limit
                )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            stats.reload_figures(obj)
        super().save_model(request, obj, form, change)
        # Its type's count of active organisations, and its former type's.
        if not change or {"type", "is_active"} & set(form.changed_data):
            refresh_type_counts({obj.type_id, form.initial.get("type")})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_type_counts({obj.type_id})

    def delete_queryset(self, request, queryset):
        types = set(queryset.values_list("type", flat=True))
        super().delete_queryset(request, queryset)
        refresh_type_counts(types)

    def save_related(self, request, form, formsets, change):
        # The stored types (meetings/stats.py) of the people its position
        # rows were and are of; with a new type, of everyone who worked for
        # or represented it and of the meetings it took part in. Deleting an
        # organisation changes no meeting figure: it cannot have attendance
        # rows or positions (PROTECT).
        touched = stats.Touched().formsets(formsets)
        super().save_related(request, form, formsets, change)
        touched.saved(formsets)
        if change and "type" in form.changed_data:
            touched.typed_by(form.instance)
        touched.refresh()

    @admin.display(description=_("type"), ordering="type__name")
    def type_name(self, obj):
        return obj.type.name

    @admin.display(description=_("country"), ordering="country")
    def country_name(self, obj):
        # Not the field itself: the admin would display it through its choices,
        # django-countries' translated and sorted list of 250 countries,
        # rebuilt for every row (~45 ms a page).
        return obj.country.name or None

    @admin.action(description=_("Mark selected organisations active"))
    def mark_active(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d organisation marked active.",
                "%(count)d organisations marked active.",
                "count",
            ),
            is_active=True,
        )
        refresh_type_counts(set(queryset.values_list("type", flat=True)))

    @admin.action(description=_("Mark selected organisations inactive"))
    def mark_inactive(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d organisation marked inactive.",
                "%(count)d organisations marked inactive.",
                "count",
            ),
            is_active=False,
        )
        refresh_type_counts(set(queryset.values_list("type", flat=True)))


def refresh_type_counts(types):
    """The stored count of active organisations of these types (ids)."""
    OrganisationType.objects.filter(pk__in=types).refresh_active_organisations()


@admin.register(OrganisationName)
class OrganisationNameAdmin(HamkorAdmin):
    list_display = ["name", "organisation", "language", "is_former"]
    list_select_related = ["organisation"]
    list_filter = ["language", "is_former"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation"]
    object_select_related = ["organisation"]
    fields = ["organisation", "name", "language", "is_former"]


@admin.register(OrganisationIdentifier)
class OrganisationIdentifierAdmin(HamkorAdmin):
    list_display = ["scheme", "value", "organisation"]
    list_select_related = ["organisation"]
    list_filter = ["scheme"]
    search_fields = ["value"]
    autocomplete_fields = ["organisation"]
    object_select_related = ["organisation"]
    fields = ["organisation", "scheme", "value"]


@admin.register(Person)
class PersonAdmin(HamkorAdmin):
    list_display = [
        "full_name",
        "email",
        "phone",
        "current_positions",
        "do_not_contact",
    ]
    list_filter = ["do_not_contact"]
    # By name, then by key: the order of the (full_name, id) index, so that
    # a page is read off the index instead of sorting everyone.
    ordering = ["full_name", "pk"]
    # The search itself is PersonQuerySet.search; these fields only enable the
    # search box and the autocomplete endpoint.
    search_fields = ["full_name", "email"]
    search_help_text = _("Name or email.")
    readonly_fields = ["created_at", "updated_at"]
    fields = [
        "full_name",
        "email",
        "phone",
        "notes",
        "do_not_contact",
        "created_at",
        "updated_at",
    ]
    inlines = [PositionInline]
    change_form_template = "admin/stakeholders/person/change_form.html"

    def get_urls(self):
        views = [
            path(
                "<path:object_id>/personal-data/",
                self.admin_site.admin_view(self.personal_data_view),
                name="stakeholders_person_personal_data",
            ),
            path(
                "<path:object_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="stakeholders_person_erase",
            ),
        ]
        return views + super().get_urls()

    def get_person_or_404(self, request, object_id):
        """The person of a URL's ``object_id``; a 404 for one that is not an id
        too (``<path:object_id>`` matches any text)."""
        person = self.get_object(request, unquote(object_id))
        if person is None:
            raise Http404(_("No such person."))
        return person

    def personal_data_view(self, request, object_id):
        """Everything held about the person, as a JSON download (subject access
        requests). Administrators only."""
        if not request.user.has_perm("stakeholders.export_personal_data"):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        person = self.get_person_or_404(request, object_id)
        response = JsonResponse(
            person_export(person=person), json_dumps_params={"ensure_ascii": False}
        )
        response["Content-Disposition"] = (
            f'attachment; filename="person-{person.pk}-personal-data.json"'
        )
        return response

    def erase_view(self, request, object_id):
        """Erase the person and their history after a confirmation page.
        Administrators only."""
        if not request.user.has_perm("stakeholders.erase_person"):
            raise PermissionDenied
        person = self.get_person_or_404(request, object_id)
        if request.method == "POST":
            label = str(person)
            person_erase(person=person, user=request.user)
            self.message_user(
                request,
                _("%(person)s and their history were erased.") % {"person": label},
                messages.SUCCESS,
            )
            return redirect("admin:stakeholders_person_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "person": person,
            "title": _("Erase %(person)s?") % {"person": person},
            "counts": {
                _("positions"): person.positions.count(),
                _("attendance rows"): person.attendances.count(),
                _("follow-ups owned"): person.follow_ups.count(),
            },
        }
        return TemplateResponse(
            request, "admin/stakeholders/person/erase_confirmation.html", context
        )

    def save_model(self, request, obj, form, change):
        if change:
            stats.reload_figures(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The stored types (meetings/stats.py) of the people its position
        # rows were and are of. Deleting a person changes no one else's
        # figures: they cannot have attendance rows (PROTECT), and their
        # positions count for them alone.
        touched = stats.Touched().formsets(formsets)
        super().save_related(request, form, formsets, change)
        touched.saved(formsets).refresh()

    def get_queryset(self, request):
        return super().get_queryset(request).with_current_positions()

    @admin.display(description=_("current positions"))
    def current_positions(self, obj):
        return "; ".join(str(position) for position in obj.current_positions) or "—"


class CurrentPositionFilter(admin.SimpleListFilter):
    title = _("current")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("Current")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.current()
        if self.value() == "no":
            # Not current: begins after today or ended before it. A NULL is
            # neither, as in PositionQuerySet.current.
            today = timezone.localdate()
            return queryset.filter(Q(since__gt=today) | Q(until__lt=today))
        return queryset


@admin.register(Position)
class PositionAdmin(HamkorAdmin):
    list_display = ["person", "title", "organisation", "department", "since", "until"]
    list_select_related = ["person", "organisation"]
    # The latest recorded first. The model's order (current first, then by
    # start) has no index: every page would sort all the positions.
    ordering = ["-pk"]
    # Not by person or organisation: that sorts every position by a joined
    # name (800,000 at national scale) for each page. The filters, the search
    # and the person's or organisation's own page narrow the list instead.
    sortable_by = ["title", "department", "since", "until"]
    list_filter = [CurrentPositionFilter, "since", "until"]
    search_fields = ["title", "department", "person__full_name"]
    autocomplete_fields = ["person", "organisation"]
    object_select_related = ["person", "organisation"]
    fields = [
        "person",
        "organisation",
        "title",
        "department",
        "since",
        "until",
        "notes",
    ]

    # The stored types (meetings/stats.py) of the person a position was and
    # is of.

    def save_model(self, request, obj, form, change):
        touched = stats.Touched()
        if change:
            touched.form(form)
        super().save_model(request, obj, form, change)
        touched.row(obj).refresh()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        stats.Touched().row(obj).refresh()

    def delete_queryset(self, request, queryset):
        touched = stats.Touched().rows(queryset)
        super().delete_queryset(request, queryset)
        touched.refresh()

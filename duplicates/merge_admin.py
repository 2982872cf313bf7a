"""The merge pages in the admin, on the organisation and person admins:

- ``<id>/merge/``: which record to merge this one with: the likely
  duplicates (``duplicates.warnings``) and a search of any other;
- ``<id>/merge/<other id>/``: both records side by side, a choice for each
  field that differs, for the surviving record and for each attendance row
  both have at one meeting whose role or status differs; "Merge" writes it
  all (``duplicates.merge``) or nothing.

Editors may merge the records they may change. The address of a merged
record (its change page here, its page on the site) leads to the survivor.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    ValidationError,
)
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meetings.models import Attendance

from . import merge
from .warnings import likely_organisations, likely_people

SEARCH_SHOWN = 20
FIRST, SECOND, BOTH = "first", "second", "both"


def shown(record, name):
    """A field's value as the reader sees it."""
    value = getattr(record, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "country":
        return value.name if value else ""
    return "" if value is None else str(value)


class MergeForm(forms.Form):
    """The editor's choices for merging the two records of a reading."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, reading, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading = reading
        first, second = reading.first, reading.second
        default = FIRST if self._weight(FIRST) >= self._weight(SECOND) else SECOND
        self.fields["keep"] = forms.ChoiceField(
            label=_("Record kept"),
            choices=[(FIRST, str(first)), (SECOND, str(second))],
            initial=default,
            widget=forms.RadioSelect,
        )
        self.fields["token"].initial = reading.token
        model = reading.kind.model
        for name in reading.differing:
            values = {side: getattr(record, name) for side, record in self._sides()}
            choices = [(side, shown(record, name)) for side, record in self._sides()]
            if name in merge.COMBINABLE and all(values.values()):
                choices.append((BOTH, _("both, the kept record's first")))
            self.fields[f"field_{name}"] = forms.ChoiceField(
                label=model._meta.get_field(name).verbose_name,
                choices=choices,
                initial=self._default(name, values, default),
                widget=forms.RadioSelect,
            )
        for index, pair in enumerate(reading.shared):
            for name in pair.differs:
                rows = {FIRST: pair.first, SECOND: pair.second}
                self.fields[f"{name}_{index}"] = forms.ChoiceField(
                    label=Attendance._meta.get_field(name).verbose_name,
                    choices=[
                        (side, getattr(row, f"get_{name}_display")())
                        for side, row in rows.items()
                    ],
                    initial=default,
                    widget=forms.RadioSelect,
                )

    def _sides(self):
        return [(FIRST, self.reading.first), (SECOND, self.reading.second)]

    def _weight(self, side):
        index = 0 if side == FIRST else 1
        rows = sum(pair[index] for pair in self.reading.counts.values())
        record = self.reading.first if side == FIRST else self.reading.second
        # The busier record, or the older when they are as busy.
        return (rows, -record.pk)

    @staticmethod
    def _default(name, values, keep):
        if name == "do_not_contact":
            # Someone asked not to be contacted: that stands.
            return FIRST if values[FIRST] else SECOND
        if name in merge.COMBINABLE and all(values.values()):
            return BOTH
        other = SECOND if keep == FIRST else FIRST
        kept_value = values[keep]
        return keep if kept_value not in ("", None) else other

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("token") != self.reading.token:
            # A page opened before one of the records changed.
            raise ValidationError(merge.STALE_MESSAGE, code="stale")
        return cleaned_data

    def values(self):
        """The survivor's value of each differing field."""
        keep = self.cleaned_data["keep"]
        records = dict(self._sides())
        kept, gone = records[keep], records[SECOND if keep == FIRST else FIRST]
        values = {}
        for name in self.reading.differing:
            side = self.cleaned_data[f"field_{name}"]
            if side == BOTH:
                values[name] = merge.combined_text(
                    getattr(kept, name), getattr(gone, name)
                )
            else:
                values[name] = getattr(records[side], name)
        return values

    def rows_chosen(self, name):
        return {
            index: self.cleaned_data[f"{name}_{index}"]
            for index, pair in enumerate(self.reading.shared)
            if name in pair.differs
        }

    def field_rows(self):
        """For the template: each field of the records, both values, and the
        choice where they differ."""
        model = self.reading.kind.model
        for name in self.reading.kind.fields:
            yield {
                "label": model._meta.get_field(name).verbose_name,
                "first": shown(self.reading.first, name),
                "second": shown(self.reading.second, name),
                "choice": self[f"field_{name}"]
                if f"field_{name}" in self.fields
                else None,
            }

    def shared_rows(self):
        for index, pair in enumerate(self.reading.shared):
            yield {
                "pair": pair,
                "role": self[f"role_{index}"] if "role" in pair.differs else None,
                "status": self[f"status_{index}"] if "status" in pair.differs else None,
            }


COUNT_LABELS = {
    "attendance": _("attendance rows"),
    "positions": _("positions"),
    "follow_ups": _("follow-ups owned"),
    "other_names": _("other names"),
    "identifiers": _("external identifiers"),
    "children": _("sub-organisations"),
    "hosted": _("meetings hosted"),
    "initiated": _("meetings initiated"),
    "assessments": _("stakeholder assessments"),
}


class MergeAdminMixin:
    """Merge pages for a model admin of organisations or people."""

    def get_urls(self):
        prefix = self._prefix()
        views = [
            path(
                "<int:object_id>/merge/<int:other_id>/",
                self.admin_site.admin_view(self.merge_view),
                name=f"{prefix}_merge_with",
            ),
            path(
                "<int:object_id>/merge/",
                self.admin_site.admin_view(self.merge_pick_view),
                name=f"{prefix}_merge",
            ),
        ]
        return views + super().get_urls()

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # A merged record's change page leads to the survivor's.
        try:
            survivor = merge.merged_into(self.model, int(object_id))
        except (TypeError, ValueError):
            survivor = None
        if survivor is None:
            return super()._get_obj_does_not_exist_redirect(request, opts, object_id)
        self.message_user(
            request,
            _("Record #%(id)s was merged into %(survivor)s.")
            % {"id": object_id, "survivor": survivor},
            messages.INFO,
        )
        return redirect(self._url("change", survivor.pk))

    def _changeable(self, request, object_id):
        record = self.get_object(request, str(object_id))
        if record is None:
            survivor = merge.merged_into(self.model, object_id)
            if survivor is not None:
                return survivor, True
            raise Http404(_("No such record."))
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        return record, False

    def likely_for(self, record):
        if self.model._meta.model_name == "organisation":
            return likely_organisations(
                record.name, record.acronym, record.email, exclude=record
            )
        return likely_people(
            record.full_name, record.email, record.phone, exclude=record
        )

    def _context(self, request, record, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": record,
            "title": title,
            "has_view_permission": True,
        }

    def merge_pick_view(self, request, object_id):
        record, merged = self._changeable(request, object_id)
        if merged:
            return redirect(self._url("merge", record.pk))
        query = request.GET.get("q", "").strip()
        found = []
        if query:
            found = list(
                self.model.objects.search(query)
                .exclude(pk=record.pk)
                .order_by(*self.ordering)[:SEARCH_SHOWN]
            )
        context = {
            **self._context(
                request, record, _("Merge %(record)s with…") % {"record": record}
            ),
            "likely": self.likely_for(record),
            "query": query,
            "found": found,
            "shown": SEARCH_SHOWN,
            "merge_url": f"admin:{self._prefix()}_merge_with",
        }
        return TemplateResponse(request, "admin/duplicates/merge_pick.html", context)

    def _prefix(self):
        return f"{self.opts.app_label}_{self.opts.model_name}"

    def _url(self, name, *args):
        return reverse(f"admin:{self._prefix()}_{name}", args=args)

    def _record_or_survivor(self, pk):
        """The record ``pk``, the one it was merged into, or a 404."""
        record = self.model.objects.filter(pk=pk).first() or merge.merged_into(
            self.model, pk
        )
        if record is None:
            raise Http404(_("No such record."))
        return record

    def merge_view(self, request, object_id, other_id):
        if object_id == other_id:
            raise Http404(_("A record cannot be merged with itself."))
        reading = merge.read(self.model, object_id, other_id)
        if reading is None:
            # One of them is missing: merged meanwhile (go on with the
            # survivor), or never was.
            first = self._record_or_survivor(object_id)
            second = self._record_or_survivor(other_id)
            if first.pk == second.pk:
                self.message_user(
                    request,
                    _("These records were already merged into %(survivor)s.")
                    % {"survivor": first},
                    messages.INFO,
                )
                return redirect(self._url("change", first.pk))
            return redirect(self._url("merge_with", first.pk, second.pk))
        for record in (reading.first, reading.second):
            if not self.has_change_permission(request, record):
                raise PermissionDenied
        form = MergeForm(reading, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                done = merge.merge(
                    reading=reading,
                    keep=form.cleaned_data["keep"],
                    values=form.values(),
                    roles=form.rows_chosen("role"),
                    statuses=form.rows_chosen("status"),
                    user=request.user,
                )
            except merge.Stale:
                form.add_error(None, ValidationError(merge.STALE_MESSAGE, code="stale"))
            except ValidationError as error:
                self._field_errors(form, error)
            else:
                self.message_user(request, self._done_message(done), messages.SUCCESS)
                return redirect(self._url("change", done.survivor.pk))
        errors = form.non_field_errors() if form.is_bound else []
        if form.is_bound and form.has_error(NON_FIELD_ERRORS, "stale"):
            # Show what the records are now, with the refusal above.
            reading = merge.read(self.model, object_id, other_id)
            if reading is None:
                self.message_user(request, merge.STALE_MESSAGE, messages.ERROR)
                return redirect(self._url("merge_with", object_id, other_id))
            form = MergeForm(reading)
        context = {
            **self._context(
                request,
                reading.first,
                _("Merge %(first)s and %(second)s")
                % {"first": reading.first, "second": reading.second},
            ),
            "reading": reading,
            "form": form,
            "counts": [
                (COUNT_LABELS[code], pair) for code, pair in reading.counts.items()
            ],
            "errors": errors,
        }
        return TemplateResponse(request, "admin/duplicates/merge.html", context)

    def _field_errors(self, form, error):
        """The model's refusal of the survivor's values, on the fields it
        names (or above the form)."""
        for name, messages_ in getattr(
            error, "message_dict", {None: error.messages}
        ).items():
            target = f"field_{name}" if f"field_{name}" in form.fields else None
            for message in messages_:
                if target is None and name not in (None, "__all__"):
                    label = self.model._meta.get_field(name).verbose_name
                    message = f"{label}: {message}"
                form.add_error(target, message)

    def _done_message(self, done):
        moved = sum(
            count
            for code, count in done.moved.items()
            if not code.startswith(("combined", "new"))
        )
        combined = done.moved.get("combined_attendance", 0)
        text = ngettext(
            "%(merged)s was merged into %(survivor)s: %(count)d row moved",
            "%(merged)s was merged into %(survivor)s: %(count)d rows moved",
            moved,
        ) % {"merged": done.old_label, "survivor": done.survivor, "count": moved}
        if combined:
            text += ngettext(
                ", %(count)d attendance row combined with the survivor's",
                ", %(count)d attendance rows combined with the survivor's",
                combined,
            ) % {"count": combined}
        return f"{text}."

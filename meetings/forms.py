from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Organisation

from .imports import (
    DEFAULT_NEW_ORGANISATION_TYPE,
    MAX_FILE_SIZE,
    MAX_ROWS,
    Decisions,
    OrganisationChoice,
    SheetError,
    read_sheet,
    too_big_message,
)
from .models import Attendance


class SheetUploadForm(forms.Form):
    """Upload of a sign-in sheet; a valid form holds the read sheet in
    ``self.sheet``."""

    file = forms.FileField(
        label=_("Sign-in sheet"),
        help_text=_(
            "CSV or XLSX, up to %(size)d MB and %(rows)s rows. The first row names "
            "the columns."
        )
        % {"size": MAX_FILE_SIZE // 1024 // 1024, "rows": f"{MAX_ROWS:,}"},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-"
                "officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, too_large=False, **kwargs):
        # ``too_large``: the upload handler dropped the file past the limit,
        # so the form sees no file at all.
        self.too_large = too_large
        self.sheet = None
        super().__init__(*args, **kwargs)

    def clean(self):
        if self.too_large:
            self._errors.pop("file", None)
            self.add_error("file", too_big_message(None))
            return self.cleaned_data
        upload = self.cleaned_data.get("file")
        if upload is None:
            return self.cleaned_data
        if upload.size > MAX_FILE_SIZE:
            self.add_error("file", too_big_message(upload.size))
            return self.cleaned_data
        try:
            self.sheet = read_sheet(upload.read(), upload.name[-100:])
        except SheetError as error:
            self.add_error("file", str(error))
        return self.cleaned_data


class ImportChoicesForm(forms.Form):
    """The editor's choices on an import preview: for each organisation name
    that matches no organisation (or several), use one or create one; for each
    person who resembles someone on record, use them or add a new person.

    Fields are named after the plan's question ids, so the form built for the
    plan the editor saw validates what they chose on it.
    """

    def __init__(
        self,
        *args,
        plan,
        types,
        admin_site,
        decisions=None,
        allow_new=True,
        allow_remember=True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.allow_new = allow_new
        self.allow_remember = allow_remember
        decisions = decisions or Decisions()
        organisation_field = Attendance._meta.get_field("organisation")
        for question in plan.organisation_questions:
            chosen = decisions.organisations.get(question.id)
            options = [("", _("— choose —"))]
            options += [
                (f"use:{o.id}", _("Use %(organisation)s") % {"organisation": o.label})
                for o in question.suggestions
            ]
            if allow_new:
                options.append(("new", _("Create a new organisation")))
            initial = ""
            other = None
            if chosen is not None and chosen.organisation_id:
                initial = f"use:{chosen.organisation_id}"
                if initial not in dict(options):
                    initial, other = "", chosen.organisation_id
            elif chosen is not None:
                initial = "new"
            prefix = f"org-{question.id}"
            self.fields[prefix] = forms.ChoiceField(
                label=question.text,
                choices=options,
                required=False,
                initial=initial,
            )
            self.fields[f"{prefix}-other"] = forms.ModelChoiceField(
                label=_("or another organisation"),
                queryset=Organisation.objects.all(),
                required=False,
                initial=other,
                widget=AutocompleteSelect(organisation_field, admin_site),
            )
            if allow_new:
                self.fields[f"{prefix}-type"] = forms.ChoiceField(
                    label=_("type of the new organisation"),
                    choices=types,
                    initial=(chosen.new_type if chosen and chosen.new_type else "")
                    or DEFAULT_NEW_ORGANISATION_TYPE,
                )
            if allow_remember:
                self.fields[f"{prefix}-remember"] = forms.BooleanField(
                    label=_(
                        "Remember “%(name)s” as another name of the organisation picked"
                    )
                    % {"name": question.text},
                    label_suffix="",
                    required=False,
                    initial=chosen.remember if chosen else True,
                )
        for question in plan.person_questions:
            options = [("new", _("Add as a new person"))]
            options += [
                (str(p.id), _("Use %(person)s") % {"person": p.label})
                for p in question.suggestions
            ]
            self.fields[f"person-{question.id}"] = forms.ChoiceField(
                label=question.text,
                choices=options,
                required=False,
                initial=str(decisions.people.get(question.id, "new")),
            )

    def organisation_rows(self):
        """(question, choice field, other field, type field, remember field)
        for the template."""
        for question in self.plan.organisation_questions:
            prefix = f"org-{question.id}"
            yield (
                question,
                self[prefix],
                self[f"{prefix}-other"],
                self[f"{prefix}-type"] if self.allow_new else None,
                self[f"{prefix}-remember"] if self.allow_remember else None,
            )

    def person_rows(self):
        for question in self.plan.person_questions:
            yield question, self[f"person-{question.id}"]

    def clean(self):
        cleaned = super().clean()
        for question in self.plan.organisation_questions:
            prefix = f"org-{question.id}"
            if cleaned.get(prefix) == "new" and cleaned.get(f"{prefix}-other"):
                self.add_error(
                    f"{prefix}-other",
                    ValidationError(
                        _(
                            "Either create a new organisation or pick an existing "
                            "one, not both."
                        )
                    ),
                )
        return cleaned

    def decisions(self):
        """The choices as ``Decisions`` (call on a valid form)."""
        decisions = Decisions()
        data = self.cleaned_data
        for question in self.plan.organisation_questions:
            prefix = f"org-{question.id}"
            remember = bool(data.get(f"{prefix}-remember"))
            other = data.get(f"{prefix}-other")
            value = data.get(prefix, "")
            if other is not None:
                choice = OrganisationChoice(organisation_id=other.pk, remember=remember)
            elif value.startswith("use:"):
                choice = OrganisationChoice(
                    organisation_id=int(value[4:]), remember=remember
                )
            elif value == "new":
                choice = OrganisationChoice(new_type=data.get(f"{prefix}-type", ""))
            else:
                continue
            decisions.organisations[question.id] = choice
        for question in self.plan.person_questions:
            value = data.get(f"person-{question.id}", "new")
            if value and value != "new":
                decisions.people[question.id] = int(value)
        return decisions

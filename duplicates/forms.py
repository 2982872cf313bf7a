"""The admin's add forms for organisations and people: before a new record
is saved, the records it may duplicate are listed (``duplicates.warnings``)
with a link to each, and the form asks once more; ticking "Save anyway"
saves it."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import HamkorForm

from .warnings import likely_organisations, likely_people


class WarnOfDuplicates(HamkorForm):
    save_anyway = forms.BooleanField(
        label=_("Save anyway"),
        help_text=_("This is none of the records listed above."),
        required=False,
        widget=forms.HiddenInput,
    )

    def likely(self, data):
        raise NotImplementedError

    def _post_clean(self):
        # After the model's own checks (a name taken in another case is
        # refused by its constraint, and a refused form needs no warning).
        super()._post_clean()
        self.likely_duplicates = []
        data = self.cleaned_data
        if self.instance.pk is not None or self.errors or data.get("save_anyway"):
            return
        self.likely_duplicates = self.likely(data)
        if self.likely_duplicates:
            # Asked once: the box appears beside the list.
            self.fields["save_anyway"].widget = forms.CheckboxInput()
            self.add_error(
                None,
                ValidationError(
                    _(
                        "This may already be on record: see the records listed "
                        "above. Open one of them instead, or tick “Save anyway” "
                        "if this is a different one."
                    ),
                    code="likely_duplicate",
                ),
            )


class OrganisationAddForm(WarnOfDuplicates):
    def likely(self, data):
        return likely_organisations(
            data.get("name", ""), data.get("acronym", ""), data.get("email", "")
        )


class PersonAddForm(WarnOfDuplicates):
    def likely(self, data):
        return likely_people(
            data.get("full_name", ""), data.get("email", ""), data.get("phone", "")
        )


class WarnOfDuplicatesAdmin:
    """A model admin whose add form is ``add_form`` (a WarnOfDuplicates),
    its "Save anyway" box at the end of the first fieldset."""

    add_form = None

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        (name, options), *rest = fieldsets
        options = {**options, "fields": [*options["fields"], "save_anyway"]}
        return [(name, options), *rest]

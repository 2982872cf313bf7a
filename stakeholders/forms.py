from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import limit_dates

from .models import Assessment


class AssessmentForm(forms.ModelForm):
    """A new assessment of an organisation, from its page. The organisation
    and the user are set by the view; the date defaults to today and may not
    be in the future (``Assessment.clean``)."""

    class Meta:
        model = Assessment
        fields = ["influence", "interest", "stance", "assessed_on", "note"]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
            "assessed_on": forms.DateInput(format="%Y-%m-%d"),
        }
        labels = {
            "influence": _("Influence (1–5)"),
            "interest": _("Interest (1–5)"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self)
        for name, field in self.fields.items():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)
            if name == "assessed_on":
                widget.input_type = "date"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] += " is-invalid"

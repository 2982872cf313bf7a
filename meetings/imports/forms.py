"""The forms of the import wizard: the upload of a sign-in sheet, and the
editor's choices on its preview."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from meetings.models import Attendance
from stakeholders.models import Organisation

from .matching import SUGGESTION_SCORE
from .planning import DEFAULT_NEW_ORGANISATION_TYPE, Decisions, OrganisationChoice
from .reading import read_sheet
from .sheets import (
    MAX_FILE_SIZE,
    MAX_ROWS,
    SheetError,
    format_number,
    too_big_message,
)


class SheetUploadForm(forms.Form):
    """Upload of a sign-in sheet; a valid form holds the read sheet in
    ``self.sheet``."""

    file = forms.FileField(
        label=_("Sign-in sheet"),
        # Lazy: filled in when a form shows it, in the language of its request.
        help_text=lazy(
            lambda: (
                gettext(
                    "CSV or XLSX, up to %(size)d MB and %(rows)s rows. The first row "
                    "names the columns."
                )
                % {
                    "size": MAX_FILE_SIZE // 1024 // 1024,
                    "rows": format_number(MAX_ROWS),
                }
            ),
            str,
        )(),
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


# Questions on one page of the preview's form. Each organisation name posts
# four fields (the choice, another organisation, the new one's type,
# "remember"), each person one: with the bulk choices and the form's own few,
# a page posts about 310 fields, well within Django's
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), whatever the length of the sheet.
ORGANISATION_QUESTIONS_PER_PAGE = 50
PERSON_QUESTIONS_PER_PAGE = 100
# From this many questions of a kind the form offers to decide them in bulk;
# below, each is decided on its own, as on a meeting's usual sheet.
BULK_FROM = 10


class ImportChoicesForm(forms.Form):
    """The editor's choices on an import preview: for each organisation name
    that matches no organisation (or several), use one or create one; for each
    person who resembles someone on record, use them or add a new person.

    A page of the questions at a time (``page``, from 1): the form's fields
    are those of the page's questions, named after their ids, so the form
    built for the plan the editor saw validates what they chose on it. The
    choices made on other pages are kept (``decisions``). With many
    questions, bulk choices decide every question still open, on every page:
    use each name's best suggestion from a score, create the rest as new
    organisations of one type, use each person's best suggestion from a
    score.
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
        page=1,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.allow_new = allow_new
        self.allow_remember = allow_remember
        self.base = decisions or Decisions()
        organisation_questions = plan.organisation_questions
        person_questions = plan.person_questions
        self.pages = max(
            1,
            -(-len(organisation_questions) // ORGANISATION_QUESTIONS_PER_PAGE),
            -(-len(person_questions) // PERSON_QUESTIONS_PER_PAGE),
        )
        self.page = min(max(page, 1), self.pages)
        start = self.page - 1
        self.organisation_questions = organisation_questions[
            start * ORGANISATION_QUESTIONS_PER_PAGE : self.page
            * ORGANISATION_QUESTIONS_PER_PAGE
        ]
        self.person_questions = person_questions[
            start * PERSON_QUESTIONS_PER_PAGE : self.page * PERSON_QUESTIONS_PER_PAGE
        ]
        decisions = self.base
        organisation_field = Attendance._meta.get_field("organisation")
        for question in self.organisation_questions:
            chosen = decisions.organisations.get(question.id)
            options = [("", _("— choose —"))]
            options += [
                (
                    f"use:{o.id}",
                    _("Use %(organisation)s") % {"organisation": o.label}
                    + _score_label(question.scores, n),
                )
                for n, o in enumerate(question.suggestions)
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
                    # Off unless chosen: a typo remembered would become an
                    # official other name of the organisation.
                    initial=chosen.remember if chosen else False,
                )
        for question in self.person_questions:
            options = [("new", _("Add as a new person"))]
            options += [
                (
                    str(p.id),
                    _("Use %(person)s") % {"person": p.label}
                    + _score_label(question.scores, n),
                )
                for n, p in enumerate(question.suggestions)
            ]
            self.fields[f"person-{question.id}"] = forms.ChoiceField(
                label=question.text,
                choices=options,
                required=False,
                # 0: "a new person", chosen on purpose.
                initial=str(decisions.people.get(question.id) or "new"),
            )
        self.bulk_organisations = len(organisation_questions) >= BULK_FROM
        self.bulk_people = len(person_questions) >= BULK_FROM
        score = {
            "min_value": SUGGESTION_SCORE,
            "max_value": 100,
            "required": False,
            "widget": forms.NumberInput(attrs={"size": 4}),
        }
        if self.bulk_organisations:
            self.fields["bulk-use"] = forms.IntegerField(
                label=_(
                    "Use the organisation suggested for each name still without a "
                    "choice, when it resembles the name at least this much "
                    "(%(low)d–100):"
                )
                % {"low": SUGGESTION_SCORE},
                **score,
            )
            if allow_new:
                self.fields["bulk-new"] = forms.ChoiceField(
                    label=_("Create new organisations for"),
                    choices=[
                        ("", _("— no name —")),
                        (
                            "unlike",
                            _(
                                "each name still without a choice that "
                                "resembles no organisation on record"
                            ),
                        ),
                        (
                            "all",
                            _(
                                "each name still without a choice, also those "
                                "that resemble an organisation on record"
                            ),
                        ),
                    ],
                    required=False,
                )
                self.fields["bulk-new-type"] = forms.ChoiceField(
                    label=_("of the type"),
                    choices=types,
                    initial=DEFAULT_NEW_ORGANISATION_TYPE,
                )
        if self.bulk_people:
            self.fields["bulk-person"] = forms.IntegerField(
                label=_(
                    "Use the person suggested for each person still to decide, "
                    "when the names resemble each other at least this much "
                    "(%(low)d–100):"
                )
                % {"low": SUGGESTION_SCORE},
                **score,
            )

    def bulk_fields(self):
        """The bulk choices' fields, for the template."""
        return [self[name] for name in self.fields if name.startswith("bulk-")]

    def organisation_rows(self):
        """(question, choice field, other field, type field, remember field)
        for the template: the page's."""
        for question in self.organisation_questions:
            prefix = f"org-{question.id}"
            yield (
                question,
                self[prefix],
                self[f"{prefix}-other"],
                self[f"{prefix}-type"] if self.allow_new else None,
                self[f"{prefix}-remember"] if self.allow_remember else None,
            )

    def person_rows(self):
        for question in self.person_questions:
            yield question, self[f"person-{question.id}"]

    def clean(self):
        cleaned = super().clean()
        for question in self.organisation_questions:
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
        """The choices as ``Decisions`` (call on a valid form): those made
        before on other pages, this page's, then the bulk choices for every
        question still open."""
        decisions = Decisions(
            organisations=dict(self.base.organisations),
            people=dict(self.base.people),
        )
        data = self.cleaned_data
        for question in self.organisation_questions:
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
                decisions.organisations.pop(question.id, None)
                continue
            decisions.organisations[question.id] = choice
        for question in self.person_questions:
            name = f"person-{question.id}"
            # Left as shown, a person stays open to a bulk choice; changed,
            # it is the editor's (0: a new person).
            if name in self.changed_data:
                value = data.get(name) or "new"
                decisions.people[question.id] = 0 if value == "new" else int(value)
        self.bulk(decisions)
        return decisions

    def bulk(self, decisions):
        data = self.cleaned_data
        open_organisations = [
            q
            for q in self.plan.organisation_questions
            if q.id not in decisions.organisations
        ]
        if score := data.get("bulk-use"):
            for question in open_organisations:
                best = question.best_suggestion(score)
                if best is not None:
                    # Not remembered: a suggestion taken in bulk is unseen,
                    # and may be a typo.
                    decisions.organisations[question.id] = OrganisationChoice(
                        organisation_id=best.id
                    )
        if which := data.get("bulk-new"):
            for question in open_organisations:
                if question.id in decisions.organisations:
                    continue
                # Several organisations answering to the name: always the
                # editor's choice.
                if question.suggestions and not (which == "all" and question.resembles):
                    continue
                decisions.organisations[question.id] = OrganisationChoice(
                    new_type=data["bulk-new-type"]
                )
        if score := data.get("bulk-person"):
            for question in self.plan.person_questions:
                if question.id in decisions.people:
                    continue
                best = question.best_suggestion(score)
                if best is not None:
                    decisions.people[question.id] = best.id


def _score_label(scores, n):
    """ " (resembles 92%)" for the ``n``th suggestion, if it has a score."""
    if n >= len(scores):
        return ""
    return " " + _("(resembles %(score)d%%)") % {"score": int(scores[n])}

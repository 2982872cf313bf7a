"""The attendance of one meeting from the rows of a sign-in sheet, as JSON:
the same preview and the same all-or-nothing import as the admin's upload
(meetings.imports, meetings.services.attendance_import), for a program that
has the rows already (a registration system, a form's answers).

A request without ``commit`` is the preview: what each row would do and the
plan's ``digest``. The same rows sent again with ``commit: true`` and that
digest are imported, or nothing is: a row with an error or an organisation
name still awaiting a choice refuses all of them with 400, and records
changed since the preview (another digest) with 412.

An organisation name that matches several organisations, or none, is a
question of the preview (``organisation_names``, with its suggestions); the
request answers it as the admin's editor does, in ``organisations``: the name
as the sheet writes it, and the ``id`` of an organisation (``remember`` keeps
the sheet's spelling as another name of it) or the ``new_type`` of a new one.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.names import name_key
from meetings.imports.planning import (
    Decisions,
    ImportNotReady,
    OrganisationChoice,
    PlanChanged,
    plan_import,
    question_id,
)
from meetings.imports.sheets import (
    FIELDS,
    MAX_LENGTHS,
    MAX_ROWS,
    ORGANISATION,
    Sheet,
    SheetRow,
)
from meetings.services import attendance_import

from .writes import PreconditionFailed


class SheetRowSerializer(serializers.Serializer):
    """One row, its cells as the sheet's columns: an organisation's name (or
    other name, or acronym, in either script), a person's, their email,
    title, phone, and the role and status in words of any of the interface's
    languages (or their codes)."""

    def get_fields(self):
        return {
            name: serializers.CharField(
                required=False,
                allow_blank=True,
                max_length=MAX_LENGTHS.get(name, 100),
            )
            for name in FIELDS
        }


class OrganisationDecisionSerializer(serializers.Serializer):
    """The answer to one of the preview's ``organisation_names``."""

    name = serializers.CharField(
        max_length=MAX_LENGTHS[ORGANISATION],
        help_text=_("The organisation's name as the sheet writes it."),
    )
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("The organisation the name stands for."),
    )
    new_type = serializers.SlugField(
        required=False,
        help_text=_("Or a new organisation of this type (its slug)."),
    )
    remember = serializers.BooleanField(
        default=False,
        help_text=_("Keep the sheet's spelling as another name of the organisation."),
    )

    def validate(self, data):
        if ("id" in data) == ("new_type" in data):
            raise ValidationError({"id": [gettext("Give one of id and new_type.")]})
        return data


class AttendanceSheetSerializer(serializers.Serializer):
    rows = SheetRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)
    organisations = OrganisationDecisionSerializer(
        many=True,
        required=False,
        max_length=MAX_ROWS,
        help_text=_("Answers to the preview's organisation_names."),
    )
    commit = serializers.BooleanField(
        default=False,
        help_text=_("Import the rows (with the preview's digest); else preview them."),
    )
    digest = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("The preview's digest: the import is refused if it changed."),
    )

    def validate(self, data):
        if data["commit"] and not data.get("digest"):
            raise ValidationError(
                {"digest": [gettext("Send the digest of the preview to import.")]}
            )
        return data


def sheet_of(rows):
    """The rows as a ``Sheet``: row 1 is the first row, each column named by
    its field, as a message about a cell says it."""
    present = [name for name in FIELDS if any(row.get(name) for row in rows)]
    return Sheet(
        filename=gettext("the request"),
        columns={name: name for name in present},
        rows=[
            SheetRow(number, **{name: row.get(name, "").strip() for name in FIELDS})
            for number, row in enumerate(rows, start=1)
        ],
    )


def plan_data(plan):
    return {
        "digest": plan.digest,
        "ready": plan.is_ready,
        "message": plan.blocking_message(),
        "summary": plan.summary(),
        "rows": [
            {
                "row": row.row.number,
                "outcome": row.outcome,
                "organisation": _record_id(row.organisation),
                "organisation_label": row.organisation_label,
                "person": _record_id(row.person),
                "person_label": row.person_label,
                "role": row.role,
                "status": row.status,
                "errors": [str(error) for error in row.errors],
                "notes": [str(note) for note in row.notes],
            }
            for row in plan.rows
        ],
        "organisation_names": [
            {
                "name": question.text,
                "rows": list(question.rows),
                "error": str(question.error),
                "suggestions": [
                    {"id": info.id, "name": info.label} for info in question.suggestions
                ],
                "chosen": _chosen(question.choice),
            }
            for question in plan.organisation_questions
        ],
    }


def _chosen(choice):
    if choice is None:
        return None
    if choice.organisation_id:
        return {"id": choice.organisation_id, "remember": choice.remember}
    return {"new_type": choice.new_type}


def answered_question(answer):
    """The id of the question an answer is for, as the admin's form keys it."""
    return question_id("organisation", name_key(answer["name"]))


def decisions_of(answers):
    """The request's ``organisations`` as the planner's ``Decisions``."""
    return Decisions(
        organisations={
            answered_question(answer): OrganisationChoice(
                organisation_id=answer.get("id"),
                new_type=answer.get("new_type", ""),
                remember=answer["remember"],
            )
            for answer in answers
        }
    )


def check_answers(plan, answers):
    """A 400 naming each answer whose name no row's organisation is
    waiting on (misspelt, or matched already): it would be silently unused."""
    asked = {question.id for question in plan.organisation_questions}
    wrong = {
        str(number): {
            "name": [
                gettext(
                    "No organisation name of the rows awaits a choice as “%(name)s”."
                )
                % {"name": answer["name"]}
            ]
        }
        for number, answer in enumerate(answers, start=1)
        if answered_question(answer) not in asked
    }
    if wrong:
        raise ValidationError({"organisations": wrong})


def _record_id(reference):
    """A record's id, or None for one the import would make."""
    if reference and reference[0] == "id":
        return reference[1]
    return None


def attendance_sheet(request, meeting):
    """Preview or import ``request``'s rows into ``meeting``."""
    serializer = AttendanceSheetSerializer(data=request.data)
    if not serializer.is_valid():
        errors = dict(serializer.errors)
        for name in ("rows", "organisations"):
            if isinstance(errors.get(name), dict):
                # Each wrong row or answer by its number, counted from 1 as
                # the preview's messages count them (rest_framework counts
                # from 0).
                errors[name] = {
                    str(int(index) + 1) if str(index).isdigit() else index: cells
                    for index, cells in errors[name].items()
                }
        raise ValidationError(errors)
    data = serializer.validated_data
    sheet = sheet_of(data["rows"])
    answers = data.get("organisations", [])
    decisions = decisions_of(answers)
    allow_new = request.user.has_perm("stakeholders.add_organisation")
    plan = plan_import(meeting, sheet, decisions, allow_new_organisations=allow_new)
    check_answers(plan, answers)
    if not data["commit"]:
        return Response(plan_data(plan))
    # Planned outside its own short transaction (see attendance_import):
    # requests are not atomic (no ATOMIC_REQUESTS).
    try:
        plan = attendance_import(
            meeting=meeting,
            sheet=sheet,
            decisions=decisions,
            user=request.user,
            expected_digest=data["digest"],
            allow_new_organisations=allow_new,
            plan=plan,
        )
    except ImportNotReady as refusal:
        # Nothing written: the rows' errors, as the preview gives them.
        return Response(plan_data(refusal.plan), status=status.HTTP_400_BAD_REQUEST)
    except PlanChanged as refusal:
        raise PreconditionFailed(str(refusal)) from refusal
    return Response(
        {**plan_data(plan), "message": plan.result_message()},
        status=status.HTTP_201_CREATED,
    )

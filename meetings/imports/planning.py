"""Planning an import: what importing a sheet's rows into a meeting would do,
row by row, and the editor's decisions that settle its open questions.

``build_plan(sheet, index, decisions)`` is pure (no queries, no writes). The
admin preview, the management command and ``meetings.services
.attendance_import`` all call it (through ``plan_import``), so what the editor
previews is what is written.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from core.names import name_key, person_key
from meetings.models import Attendance

from .matching import MatchIndex, ReadSnapshot
from .sheets import (
    EMAIL,
    FIELD_LABELS,
    MAX_LENGTHS,
    NAME,
    ORGANISATION,
    PHONE,
    ROLE,
    STATUS,
    TITLE,
    Sheet,
    SheetRow,
    format_number,
    quote,
)
from .words import roles_by_word, statuses_by_word, word_key

# Below this the person's name on the sheet and on record are told apart.
SAME_PERSON_SCORE = 70

DEFAULT_NEW_ORGANISATION_TYPE = "other"

# A role or status the sheet writes in words no language of the import knows.
NOT_A_CHOICE = {
    "role": _("%(text)s is not a role; use %(words)s."),
    "status": _("%(text)s is not a status; use %(words)s."),
}


class ImportNotReady(Exception):
    """The plan has errors or unresolved names: nothing was written."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(plan.blocking_message())


class PlanChanged(Exception):
    """The data changed since the editor's preview: nothing was written."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(
            gettext(
                "The records changed since the preview, or the choices did: "
                "review the preview again, then import."
            )
        )


# The editor's decisions.


@dataclass(frozen=True)
class OrganisationChoice:
    """Use an existing organisation (``organisation_id``), optionally keeping
    the sheet's spelling as another name of it, or create a new one of type
    ``new_type`` (a slug)."""

    organisation_id: int | None = None
    new_type: str = ""
    remember: bool = False


@dataclass
class Decisions:
    # Question id -> OrganisationChoice.
    organisations: dict = field(default_factory=dict)
    # Question id -> id of an existing person (a suggestion accepted).
    people: dict = field(default_factory=dict)

    def organisation_ids(self):
        return {
            choice.organisation_id
            for choice in self.organisations.values()
            if choice.organisation_id
        }

    def to_data(self):
        return {
            "organisations": {
                qid: [c.organisation_id, c.new_type, c.remember]
                for qid, c in self.organisations.items()
            },
            "people": self.people,
        }

    @classmethod
    def from_data(cls, data):
        data = data or {}
        return cls(
            organisations={
                qid: OrganisationChoice(*values)
                for qid, values in data.get("organisations", {}).items()
            },
            people={qid: int(pk) for qid, pk in data.get("people", {}).items()},
        )


def question_id(*parts):
    """A short stable id for a question, usable as a form field name."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


# The plan.


class Outcome(models.TextChoices):
    """What the import does with a row."""

    ADD = "add", _("add")
    UPDATE = "update", _("update")
    UNCHANGED = "unchanged", _("no change")
    REPEAT = "repeat", _("repeated row")
    CHOICE = "choice", _("needs your choice")
    ERROR = "error", _("error")


@dataclass
class OrganisationQuestion:
    """A name on the sheet that matches no organisation, or several."""

    id: str
    key: str
    text: str
    rows: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)  # OrganisationInfo
    # Scores of the suggestions found by resemblance (none when several
    # organisations answer to the name).
    scores: list = field(default_factory=list)
    choice: OrganisationChoice | None = None
    error: str = ""

    @property
    def resembles(self):
        """Whether the name resembles organisations on record (rather than
        matching several, or only inactive ones)."""
        return bool(self.scores)

    def best_suggestion(self, score):
        """The one suggestion scoring ``score`` or more and better than any
        other, or None."""
        return _best(self.suggestions, self.scores, score)


@dataclass
class PersonQuestion:
    """A person new at a known organisation whose name resembles, or equals,
    someone already known there. Added as new unless the editor picks one."""

    id: str
    organisation_id: int
    text: str
    rows: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)  # PersonInfo
    # Scores of the suggestions; none for namesakes (``ambiguous``).
    scores: list = field(default_factory=list)
    chosen: int | None = None
    ambiguous: bool = False

    def best_suggestion(self, score):
        """The one suggestion scoring ``score`` or more and better than any
        other, or None (namesakes have no score)."""
        return _best(self.suggestions, self.scores, score)


def _best(suggestions, scores, score):
    if not scores or scores[0] < score:
        return None
    if len(scores) > 1 and scores[1] >= scores[0]:
        # Two equally good: the editor tells them apart.
        return None
    return suggestions[0]


@dataclass
class NewOrganisation:
    key: str
    name: str
    type_id: int
    type_name: str


@dataclass
class NewPerson:
    key: str
    full_name: str
    email: str
    phone: str
    title: str
    organisation: tuple  # ("id", pk) or ("new", key)


@dataclass
class RowPlan:
    row: SheetRow
    outcome: str = ""
    organisation: tuple | None = None  # ("id", pk) or ("new", key)
    organisation_label: str = ""
    organisation_state: str = ""  # matched, chosen, new, choice
    person: tuple | None = None  # ("id", pk) or ("new", key)
    person_label: str = ""
    person_state: str = ""  # matched, new, chosen
    role: str = ""
    status: str = ""
    attendance_id: int | None = None
    repeats: int | None = None
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def outcome_label(self):
        return Outcome(self.outcome).label

    @property
    def needs_attention(self):
        return self.outcome in (Outcome.ERROR, Outcome.CHOICE) or bool(self.notes)


@dataclass
class Plan:
    sheet: Sheet
    # The MatchIndex and the Decisions the plan was built from.
    index: MatchIndex | None = field(default=None, repr=False, compare=False)
    decisions: Decisions | None = field(default=None, repr=False, compare=False)
    rows: list = field(default_factory=list)
    organisation_questions: list = field(default_factory=list)
    person_questions: list = field(default_factory=list)
    new_organisations: dict = field(default_factory=dict)
    # (organisation id, spelling) kept as other names of chosen organisations.
    new_names: dict = field(default_factory=dict)
    new_people: dict = field(default_factory=dict)
    # Person id -> {field: value}: blanks on record filled from the sheet.
    person_updates: dict = field(default_factory=dict)

    @cached_property
    def counts(self):
        return Counter(row.outcome for row in self.rows)

    @property
    def errors(self):
        return [error for row in self.rows for error in row.errors] + [
            q.error for q in self.organisation_questions if q.error
        ]

    @property
    def unresolved(self):
        return [q for q in self.organisation_questions if q.choice is None or q.error]

    @property
    def is_ready(self):
        return not self.counts[Outcome.ERROR] and not self.counts[Outcome.CHOICE]

    def blocking_message(self):
        errors = names = ""
        if n := self.counts[Outcome.ERROR]:
            errors = ngettext(
                "%(count)s row with errors", "%(count)s rows with errors", n
            ) % {"count": format_number(n)}
        if n := len(self.unresolved):
            names = ngettext(
                "%(count)s organisation name that needs your choice",
                "%(count)s organisation names that need your choice",
                n,
            ) % {"count": format_number(n)}
        if errors and names:
            return gettext(
                "Nothing was imported: the sheet has %(errors)s and %(names)s."
            ) % {"errors": errors, "names": names}
        if errors or names:
            return gettext("Nothing was imported: the sheet has %(what)s.") % {
                "what": errors or names
            }
        return ""

    @cached_property
    def digest(self):
        """Fingerprint of what the import would write. A commit whose plan has
        a different digest from the previewed one is refused."""
        parts = [
            (r.row.number, r.outcome, r.organisation, r.person, r.role, r.status)
            for r in self.rows
        ]
        parts += [
            sorted((k, v.name, v.type_id) for k, v in self.new_organisations.items()),
            sorted(self.new_names),
            sorted(
                (k, p.full_name, p.email, p.title, p.organisation)
                for k, p in self.new_people.items()
            ),
            sorted((pk, sorted(v.items())) for pk, v in self.person_updates.items()),
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]

    def result_message(self):
        """What an import of this plan did, for the editor and the admin log."""
        s = self.summary()
        return gettext(
            "Imported %(rows)s from %(file)s: %(added)s added, %(updated)s "
            "updated, %(unchanged)s unchanged; %(organisations)s, %(people)s."
        ) % {
            "rows": ngettext("%(count)s row", "%(count)s rows", s["rows"])
            % {"count": format_number(s["rows"])},
            "file": self.sheet.filename,
            "added": format_number(s["add"]),
            "updated": format_number(s["update"]),
            "unchanged": format_number(s["unchanged"] + s["repeat"]),
            "organisations": ngettext(
                "%(count)s new organisation",
                "%(count)s new organisations",
                s["new_organisations"],
            )
            % {"count": format_number(s["new_organisations"])},
            "people": ngettext(
                "%(count)s new person", "%(count)s new people", s["new_people"]
            )
            % {"count": format_number(s["new_people"])},
        }

    def summary(self):
        c = self.counts
        return {
            "rows": len(self.rows),
            "add": c[Outcome.ADD],
            "update": c[Outcome.UPDATE],
            "unchanged": c[Outcome.UNCHANGED],
            "repeat": c[Outcome.REPEAT],
            "choice": c[Outcome.CHOICE],
            "error": c[Outcome.ERROR],
            "new_organisations": len(self.new_organisations),
            "new_names": len(self.new_names),
            "new_people": len(self.new_people),
            "person_updates": len(self.person_updates),
        }


def _error(sheet, row, column, message):
    return gettext("Row %(row)s, column %(column)s: %(message)s") % {
        "row": row.number,
        "column": quote(sheet.column(column)),
        "message": message,
    }


class _PlanBuilder:
    def __init__(self, sheet, index, decisions, *, allow_new_organisations=True):
        self.sheet = sheet
        self.index = index
        self.decisions = decisions or Decisions()
        self.allow_new_organisations = allow_new_organisations
        self.plan = Plan(sheet=sheet, index=index, decisions=self.decisions)
        self.questions = {}
        self.person_questions = {}
        # Email (lower case) -> the person it belongs to, on record or new.
        self.email_owner = {
            email: ("id", pk) for email, pk in index.people_by_email.items()
        }
        self.new_by_name = {}
        self.seen = {}

    def build(self):
        for row in self.sheet.rows:
            self.plan.rows.append(self.row(row))
        self.plan.organisation_questions = list(self.questions.values())
        self.plan.person_questions = list(self.person_questions.values())
        return self.plan

    def row(self, row):
        plan = RowPlan(row=row)
        self.organisation(plan)
        self.role_and_status(plan)
        self.person(plan)
        if plan.errors:
            plan.outcome = Outcome.ERROR
        elif plan.organisation_state == "choice":
            plan.outcome = Outcome.CHOICE
        else:
            self.attendance(plan)
        return plan

    def error(self, plan, column, message):
        plan.errors.append(_error(self.sheet, plan.row, column, message))

    def organisation(self, plan):
        text = plan.row.organisation
        if not name_key(text):
            if text:
                message = gettext(
                    "%(text)s is not a name; every row needs the organisation the "
                    "person attended for."
                ) % {"text": quote(text)}
            else:
                message = gettext(
                    "empty; every row needs the organisation the person attended for."
                )
            self.error(plan, ORGANISATION, message)
            return
        found = self.index.match(text)
        if found.organisation_id is not None:
            info = self.index.organisations[found.organisation_id]
            plan.organisation = ("id", info.id)
            plan.organisation_label = info.label
            plan.organisation_state = "matched"
            return
        key = name_key(text)
        question = self.questions.get(key)
        if question is None:
            question = OrganisationQuestion(
                id=question_id("organisation", key),
                key=key,
                text=text,
                suggestions=[self.index.organisations[pk] for pk in found.suggestions],
                scores=list(found.scores),
            )
            question.choice = self.decisions.organisations.get(question.id)
            self.check_choice(question)
            self.questions[key] = question
        question.rows.append(plan.row.number)
        choice = question.choice
        if choice is None or question.error:
            plan.organisation_state = "choice"
            plan.organisation_label = text
        elif choice.organisation_id:
            info = self.index.organisations[choice.organisation_id]
            plan.organisation = ("id", info.id)
            plan.organisation_label = info.label
            plan.organisation_state = "chosen"
            if choice.remember and info.id not in self.index.by_key.get(key, {}):
                self.plan.new_names[(info.id, key)] = question.text
        else:
            new = self.plan.new_organisations.get(key)
            if new is None:
                type_id, type_name = self.index.types[choice.new_type]
                new = NewOrganisation(key, question.text, type_id, type_name)
                self.plan.new_organisations[key] = new
            plan.organisation = ("new", key)
            plan.organisation_label = gettext("%(name)s (new: %(type)s)") % {
                "name": new.name,
                "type": new.type_name,
            }
            plan.organisation_state = "new"

    def check_choice(self, question):
        choice = question.choice
        if choice is None:
            return
        if choice.organisation_id:
            if choice.organisation_id not in self.index.organisations:
                question.error = gettext(
                    "The organisation chosen for %(name)s no longer exists; choose "
                    "again."
                ) % {"name": quote(question.text)}
        elif not self.allow_new_organisations:
            question.error = gettext(
                "You may not add organisations: choose an existing one for %(name)s."
            ) % {"name": quote(question.text)}
        elif choice.new_type not in self.index.types:
            question.error = gettext(
                "Choose a type for the new organisation %(name)s."
            ) % {"name": quote(question.text)}
        elif len(question.text) > MAX_LENGTHS[ORGANISATION]:
            question.error = gettext(
                "The name %(name)s is longer than %(limit)s characters."
            ) % {
                "name": quote(question.text[:40] + "…"),
                "limit": MAX_LENGTHS[ORGANISATION],
            }
        elif question.text.lower() in self.index.active_names:
            question.error = gettext(
                "An active organisation is already named %(name)s; choose it "
                "instead of creating another."
            ) % {"name": quote(question.text)}

    def role_and_status(self, plan):
        for column, table, choices, attribute in (
            (ROLE, roles_by_word(), Attendance.Role, "role"),
            (STATUS, statuses_by_word(), Attendance.Status, "status"),
        ):
            text = getattr(plan.row, column)
            if not text:
                continue
            value = table.get(word_key(text))
            if value is None:
                words = get_text_list(
                    [str(c.label).lower() for c in choices], pgettext("list", "or")
                )
                self.error(
                    plan,
                    column,
                    NOT_A_CHOICE[attribute] % {"text": quote(text), "words": words},
                )
            setattr(plan, attribute, value or "")

    def person(self, plan):
        row = plan.row
        email = row.email.removeprefix("mailto:").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(
                    plan,
                    EMAIL,
                    gettext("%(email)s is not a valid email address.")
                    % {"email": quote(email)},
                )
                return
        if not row.name and not email:
            if row.title or row.phone:
                column = TITLE if row.title else PHONE
                self.error(
                    plan,
                    column,
                    gettext(
                        "given without a person: add the person's name or email, "
                        "or clear the cell."
                    ),
                )
            return
        for column in (NAME, EMAIL, TITLE, PHONE):
            value = email if column == EMAIL else getattr(row, column)
            if len(value) > MAX_LENGTHS[column]:
                self.error(
                    plan,
                    column,
                    gettext("longer than %(limit)s characters.")
                    % {"limit": MAX_LENGTHS[column]},
                )
                return
        if plan.organisation is None:
            # The organisation is missing or awaits a choice: the person is
            # matched once it is known.
            plan.person_label = row.name or email
            return
        owner = self.email_owner.get(email.lower()) if email else None
        if owner is not None:
            self.use_person(plan, owner, how="email", email=email)
            return
        if not row.name:
            self.error(
                plan,
                NAME,
                gettext(
                    "empty, and the email %(email)s belongs to no one on record: a "
                    "new person needs a name."
                )
                % {"email": quote(email)},
            )
            return
        kind, organisation_id = plan.organisation
        pkey = person_key(row.name)
        if kind == "id":
            known = self.index.people_at.get(organisation_id, {}).get(pkey, set())
            if len(known) > 1:
                # Namesakes at one organisation: the one already recorded at
                # this meeting for it is the one a re-import means.
                here = {
                    pk for pk in known if (organisation_id, pk) in self.index.attendance
                }
                known = here if len(here) == 1 else known
            if len(known) == 1:
                self.use_person(plan, ("id", next(iter(known))), how="name")
                if email:
                    self.fill(plan, email=email)
                return
        new = self.new_by_name.get((plan.organisation, pkey))
        if new is not None:
            self.use_person(plan, new, how="name", email=email)
            return
        if kind == "id":
            scored = (
                ()
                if known
                else self.index.scored_person_suggestions(organisation_id, row.name)
            )
            suggestions = sorted(known) or [pk for pk, _score in scored]
            if suggestions:
                qid = question_id("person", organisation_id, pkey)
                question = self.person_questions.get(qid)
                if question is None:
                    question = PersonQuestion(
                        id=qid,
                        organisation_id=organisation_id,
                        text=row.name,
                        suggestions=[self.index.people[pk] for pk in suggestions],
                        scores=[score for _pk, score in scored],
                        ambiguous=bool(known),
                    )
                    chosen = self.decisions.people.get(qid)
                    if chosen in suggestions:
                        question.chosen = chosen
                    self.person_questions[qid] = question
                question.rows.append(row.number)
                if question.chosen:
                    self.use_person(plan, ("id", question.chosen), how="your choice")
                    if email:
                        self.fill(plan, email=email)
                    return
                names = ", ".join(quote(p.full_name) for p in question.suggestions)
                plan.notes.append(
                    gettext(
                        "Added as a new person; resembles %(names)s at this "
                        "organisation (choose above to use an existing person)."
                    )
                    % {"names": names}
                )
        key = email.lower() if email else f"{plan.organisation}:{pkey}"
        person = NewPerson(
            key=key,
            full_name=row.name,
            email=email,
            phone=row.phone,
            title=row.title,
            organisation=plan.organisation,
        )
        self.plan.new_people[key] = person
        plan.person = ("new", key)
        plan.person_label = person.full_name + (f" <{email}>" if email else "")
        plan.person_state = "new"
        if email:
            self.email_owner[email.lower()] = plan.person
        self.new_by_name[(plan.organisation, pkey)] = plan.person

    def use_person(self, plan, ref, *, how, email=""):
        row = plan.row
        plan.person = ref
        if ref[0] == "id":
            info = self.index.people[ref[1]]
            plan.person_label = info.label
            plan.person_state = "chosen" if how == "your choice" else "matched"
            if (
                how == "email"
                and row.name
                and fuzz.token_set_ratio(
                    person_key(row.name), person_key(info.full_name)
                )
                < SAME_PERSON_SCORE
            ):
                plan.notes.append(
                    gettext(
                        "The email is on record for %(person)s; the sheet names "
                        "%(name)s. Imported as %(person)s."
                    )
                    % {"person": quote(info.full_name), "name": quote(row.name)}
                )
            if row.phone and not info.phone:
                self.fill(plan, phone=row.phone)
        else:
            new = self.plan.new_people[ref[1]]
            plan.person_label = new.full_name + (f" <{new.email}>" if new.email else "")
            plan.person_state = "new"
            if email and not new.email:
                new.email = email
                self.email_owner[email.lower()] = ref
            if row.phone and not new.phone:
                new.phone = row.phone

    def fill(self, plan, **values):
        """Fill blanks of a person on record from the sheet; never overwrite."""
        kind, pk = plan.person
        if kind != "id":
            return
        info = self.index.people[pk]
        updates = self.plan.person_updates.setdefault(pk, {})
        for name, value in values.items():
            on_record = getattr(info, name)
            if on_record and on_record.lower() != value.lower():
                plan.notes.append(
                    gettext(
                        "The sheet's %(field)s %(value)s differs from the one on "
                        "record, %(on_record)s, which is kept."
                    )
                    % {
                        "field": FIELD_LABELS[name],
                        "value": quote(value),
                        "on_record": quote(on_record),
                    }
                )
            if on_record or name in updates:
                continue
            if name == "email":
                if value.lower() in self.email_owner:
                    continue
                self.email_owner[value.lower()] = plan.person
            updates[name] = value
            plan.notes.append(
                gettext("Adds the %(field)s %(value)s to the person's record.")
                % {"field": FIELD_LABELS[name], "value": quote(value)}
            )
        if not updates:
            del self.plan.person_updates[pk]

    def attendance(self, plan):
        key = (plan.organisation, plan.person)
        earlier = self.seen.get(key)
        if earlier is not None:
            plan.repeats = earlier.row.number
            different = [
                sheet_column
                for sheet_column, attribute in ((ROLE, "role"), (STATUS, "status"))
                if getattr(plan, attribute) != getattr(earlier, attribute)
            ]
            if different:
                column = different[0]
                self.error(
                    plan,
                    column,
                    gettext(
                        "repeats row %(row)s (same organisation and person) with a "
                        "different %(field)s."
                    )
                    % {"row": earlier.row.number, "field": FIELD_LABELS[column]},
                )
                plan.outcome = Outcome.ERROR
            else:
                plan.outcome = Outcome.REPEAT
            return
        self.seen[key] = plan
        existing = None
        organisation_known = plan.organisation[0] == "id"
        person_known = plan.person is None or plan.person[0] == "id"
        if organisation_known and person_known:
            person_id = plan.person[1] if plan.person else None
            existing = self.index.attendance.get((plan.organisation[1], person_id))
        if existing is None:
            plan.outcome = Outcome.ADD
            return
        pk, role, status = existing
        plan.attendance_id = pk
        # An empty cell says nothing: it keeps what is on record.
        if (plan.role or role) != role or (plan.status or status) != status:
            plan.outcome = Outcome.UPDATE
            plan.notes.append(
                gettext("Was %(role)s, %(status)s.")
                % {
                    "role": Attendance.Role(role).label.lower(),
                    "status": Attendance.Status(status).label.lower(),
                }
            )
        else:
            plan.outcome = Outcome.UNCHANGED


def build_plan(sheet, index, decisions=None, *, allow_new_organisations=True):
    """What importing ``sheet`` would do, row by row. Pure: reads only
    ``index`` and writes nothing."""
    return _PlanBuilder(
        sheet, index, decisions, allow_new_organisations=allow_new_organisations
    ).build()


def plan_import(meeting, sheet, decisions=None, *, allow_new_organisations=True):
    """``build_plan`` from a ``MatchIndex`` read now, in one snapshot of the
    database and without its write lock (see ``ReadSnapshot``): what the
    preview shows and what ``meetings.services.attendance_import`` writes,
    once it has checked inside its transaction that ``plan.index`` is still
    current."""
    with ReadSnapshot():
        index = MatchIndex.load(meeting, sheet, decisions)
        return build_plan(
            sheet, index, decisions, allow_new_organisations=allow_new_organisations
        )

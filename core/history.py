"""A record's history as people read it: its own changes and those of the rows
that belong to it (a meeting's attendance, agenda and follow-ups; an
organisation's other names, identifiers and positions) in one timeline, each
entry with who made it, when, why (an import names its file) and what
changed, in names, dates in words and the words of a text that changed.

The admin's history pages use it (``core.admin.HamkorAdmin.history_view``);
a model admin lists the rows that belong to its records in
``history_related``.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Value
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

EMPTY = "—"
# The change reasons the code writes (``history_reason``): a pattern matching
# the stored text -> its msgid.
_REASONS = {}
# A text longer than this, or of several lines, is shown as the words that
# changed with a few words around them, not whole.
LONG_TEXT = 80
CONTEXT_WORDS = 6


@dataclass
class Source:
    """Rows whose history is part of another record's: ``model``'s rows whose
    ``parent`` field names it, each titled by ``subject(row)`` (the row as
    it reads under its parent: an attendance row's organisation and person,
    not the meeting again)."""

    model: type
    parent: str
    subject: object = str


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    record: object
    own: bool
    kind: str
    subject: str
    action: str
    user: str
    changes: list = field(default_factory=list)

    @property
    def user_id(self):
        return self.record.history_user_id

    @property
    def when(self):
        return self.record.history_date

    @property
    def reason(self):
        return reason_text(self.record.history_change_reason or "")


def history_reason(message):
    """Declare ``message`` (a msgid, marked with ``gettext_noop``, whose
    ``%(name)s`` fields stand for values such as a file name) as a change
    reason the code stores: in English, so that a record's history says the
    same whoever made the change, and shown in the reader's language
    (``reason_text``). Returns ``message``."""
    fields = re.split(r"(%\(\w+\)s)", message)
    pattern = "".join(
        f"(?P<{part[2:-2]}>.*)" if index % 2 else re.escape(part)
        for index, part in enumerate(fields)
    )
    _REASONS[re.compile(pattern, re.DOTALL)] = message
    return message


def reason_text(stored):
    """A stored change reason in the current language when the code wrote it
    (``history_reason``); any other text as stored."""
    for pattern, message in _REASONS.items():
        match = pattern.fullmatch(stored)
        if match:
            return _(message) % match.groupdict()
    return stored


class Gone:
    """A related record deleted since: named by its id."""

    def __init__(self, pk):
        self.pk = pk

    def __str__(self):
        return _("#%(id)s (deleted)") % {"id": self.pk}


def user_name(user):
    if user is None:
        # A management command run without --user, or a data migration.
        return _("system")
    return user.get_full_name() or user.get_username()


class Timeline:
    """The history of ``obj`` and of the rows of ``sources``, newest first,
    read a page at a time in a bounded number of queries (one for the page's
    keys across every history table, one for the count, one per table for the
    page's records and their earlier versions, one per related model named)."""

    def __init__(self, obj, sources=()):
        self.obj = obj
        own = type(obj).history.model
        self.tables = [(own, "id", obj.pk, None)]
        for source in sources:
            self.tables.append(
                (source.model.history.model, f"{source.parent}_id", obj.pk, source)
            )

    def _keys(self):
        parts = [
            history.objects.filter(**{column: pk})
            .order_by()
            .values_list("history_date", "history_id", Value(index))
            for index, (history, column, pk, _source) in enumerate(self.tables)
        ]
        first, *rest = parts
        return first.union(*rest, all=True) if rest else first

    def count(self):
        return self._keys().count()

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        """The entries of a slice (what Django's Paginator asks for)."""
        keys = list(self._keys().order_by("-history_date", "-history_id")[page])
        return self.entries(keys)

    def entries(self, keys):
        wanted = {}
        for _when, history_id, index in keys:
            wanted.setdefault(index, set()).add(history_id)
        records = {}
        for index, ids in wanted.items():
            history, column, pk, source = self.tables[index]
            on_page = history.objects.filter(history_id__in=ids).values_list(
                "id", flat=True
            )
            # Every version of the rows on the page: the one before each
            # entry is what it changed.
            versions = list(
                history.objects.filter(**{column: pk}, id__in=on_page)
                .select_related("history_user")
                .order_by("id", "history_date", "history_id")
            )
            previous = {}
            for version in versions:
                before = previous.get(version.id)
                previous[version.id] = version
                if version.history_id in ids:
                    records[(index, version.history_id)] = (version, before)
        labels = Labels()
        for version, before in records.values():
            labels.collect(version)
            if before is not None:
                labels.collect(before)
        m2m = M2MValues(
            [version for version, _before in records.values()]
            + [before for _version, before in records.values() if before is not None],
            labels,
        )
        labels.fetch()
        entries = []
        for _when, history_id, index in keys:
            version, before = records[(index, history_id)]
            source = self.tables[index][3]
            entries.append(self.entry(version, before, source, labels, m2m))
        return entries

    def entry(self, version, before, source, labels, m2m):
        instance = labels.instance(version)
        skip = None if source is None else source.parent
        if source is None:
            kind = capfirst(type(self.obj)._meta.verbose_name)
            subject = str(instance)
        else:
            kind = capfirst(source.model._meta.verbose_name)
            subject = str(source.subject(instance))
        action = {
            "+": _("Added"),
            "~": _("Changed"),
            "-": _("Deleted"),
        }[version.history_type]
        changes = []
        if version.history_type == "~" and before is not None:
            changes = differences(before, version, labels, m2m, skip=skip)
        elif version.history_type == "+":
            changes = values_of(version, labels, m2m, skip=skip)
        return Entry(
            record=version,
            own=source is None,
            kind=kind,
            subject=subject,
            action=action,
            user=user_name(version.history_user),
            changes=changes,
        )


def tracked_fields(version):
    """The fields a person edits, in the form's order: not the history's own
    columns, not the key, not what history leaves out (derived figures)."""
    history = type(version)
    recorded = {f.name for f in history._meta.fields}
    return [
        f
        for f in version.instance_type._meta.concrete_fields
        if f.editable and not f.primary_key and f.name in recorded
    ]


class Labels:
    """The names of the records that history rows point to, read in one query
    per related model."""

    def __init__(self):
        self.wanted = {}
        self.found = {}

    def collect(self, version):
        for f in tracked_fields(version):
            if f.is_relation:
                value = getattr(version, f.attname)
                if value is not None:
                    self.wanted.setdefault(f.related_model, set()).add(value)

    def want(self, model, pk):
        self.wanted.setdefault(model, set()).add(pk)

    def fetch(self):
        for model, pks in self.wanted.items():
            found = model._base_manager.in_bulk(pks)
            for pk in pks:
                self.found[(model, pk)] = found.get(pk) or Gone(pk)
        self.wanted = {}

    def get(self, model, pk):
        return self.found.get((model, pk)) or Gone(pk)

    def instance(self, version):
        """The recorded row as a model instance whose related records are
        those read here (its ``__str__`` queries nothing)."""
        # Not ``version.instance``: the columns history leaves out would be
        # deferred, and read from the table, a query per row.
        fields = tracked_fields(version)
        instance = version.instance_type(
            pk=version.id, **{f.attname: getattr(version, f.attname) for f in fields}
        )
        for f in fields:
            if f.is_relation:
                pk = getattr(version, f.attname)
                if pk is not None:
                    instance._state.fields_cache[f.name] = self.get(f.related_model, pk)
        return instance


class M2MValues:
    """The related ids each version recorded for its many-to-many fields
    (a meeting's initiators), one query per field."""

    def __init__(self, versions, labels):
        self.values = {}
        by_model = {}
        for version in versions:
            by_model.setdefault(type(version), []).append(version.history_id)
        for history, ids in by_model.items():
            for m2m in getattr(history, "_history_m2m_fields", ()):
                through = getattr(history, m2m.name).model
                target = get_m2m_reverse_field_name(m2m)
                rows = through.objects.filter(history_id__in=ids).values_list(
                    "history_id", f"{target}_id"
                )
                for history_id, pk in rows:
                    self.values.setdefault((history, m2m.name, history_id), []).append(
                        pk
                    )
                    labels.want(m2m.related_model, pk)

    def get(self, version, name):
        return sorted(self.values.get((type(version), name, version.history_id), []))


def shown(f, value, labels):
    """One recorded value as a person reads it."""
    if value is None or value == "":
        return EMPTY
    if f.is_relation:
        return str(labels.get(f.related_model, value))
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(f, models.DateTimeField):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(f, models.DateField):
        return date_format(value, "DATE_FORMAT")
    return str(value)


def differences(before, version, labels, m2m, *, skip=None):
    changes = []
    for f in tracked_fields(version):
        if f.name == skip:
            continue
        old, new = getattr(before, f.attname), getattr(version, f.attname)
        if old == new:
            continue
        label = capfirst(f.verbose_name)
        if isinstance(f, models.CharField | models.TextField) and not f.choices:
            changes.append(Change(label, *text_change(old or "", new or "")))
        else:
            changes.append(
                Change(
                    label, escape(shown(f, old, labels)), escape(shown(f, new, labels))
                )
            )
    for m2m_field in getattr(type(version), "_history_m2m_fields", ()):
        old = m2m.get(before, m2m_field.name)
        new = m2m.get(version, m2m_field.name)
        if old != new:
            changes.append(
                Change(
                    capfirst(m2m_field.verbose_name),
                    escape(names(m2m_field, old, labels)),
                    escape(names(m2m_field, new, labels)),
                )
            )
    return changes


def values_of(version, labels, m2m, *, skip=None):
    """What a record was created with: its fields that hold a value (but
    ``skip``, the link to the record whose history it is shown in)."""
    changes = []
    for f in tracked_fields(version):
        if f.name == skip:
            continue
        value = getattr(version, f.attname)
        if (
            value is None
            or value == ""
            or (isinstance(f, models.BooleanField) and value == f.default)
        ):
            continue
        changes.append(
            Change(capfirst(f.verbose_name), "", escape(shown(f, value, labels)))
        )
    for m2m_field in getattr(type(version), "_history_m2m_fields", ()):
        if new := m2m.get(version, m2m_field.name):
            changes.append(
                Change(
                    capfirst(m2m_field.verbose_name),
                    "",
                    escape(names(m2m_field, new, labels)),
                )
            )
    return changes


def names(m2m_field, pks, labels):
    if not pks:
        return EMPTY
    return ", ".join(sorted(str(labels.get(m2m_field.related_model, pk)) for pk in pks))


WORDS = re.compile(r"\s+|[^\s]+")


def text_change(old, new):
    """``(old, new)`` as HTML: whole when both are short, otherwise the words
    that changed (``<del>`` in the old text, ``<ins>`` in the new) with a few
    words around them."""
    if (
        not old
        or not new
        or (len(old) <= LONG_TEXT and len(new) <= LONG_TEXT and "\n" not in old + new)
    ):
        return escape(old) or EMPTY, escape(new) or EMPTY
    a, b = WORDS.findall(old), WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    old_parts, new_parts = [], []
    opcodes = matcher.get_opcodes()
    for number, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            context = CONTEXT_WORDS * 2  # a word and the space after it
            words = a[i1:i2]
            first, last = number == 0, number == len(opcodes) - 1
            if len(words) > 2 * context + 1 or (
                (first or last) and len(words) > context
            ):
                head = [] if first else words[:context]
                tail = [] if last else words[-context:]
                part = escape("".join(head)) + "… " + escape("".join(tail))
            else:
                part = escape("".join(words))
            old_parts.append(part)
            new_parts.append(part)
            continue
        if i2 > i1:
            old_parts.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            new_parts.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return mark_safe("".join(old_parts)), mark_safe("".join(new_parts))  # noqa: S308

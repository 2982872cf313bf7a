"""Matching a sheet's names with the records: what the database holds, read
once per import.

``MatchIndex.load(meeting, sheet)`` reads, in a fixed handful of queries
whatever the length of the sheet and the size of the database, everything
matching needs: how the sheet's organisation names resolve (every name on
record is keyed, but only what the sheet's names need is kept), the people
the sheet's emails and organisations point to, and the meeting's attendance.
Names are compared by their keys (``core.names``), then by resemblance
(rapidfuzz).
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext
from rapidfuzz import fuzz, process

from core.names import (
    Vocabulary,
    fuzzy_form,
    fuzzy_forms,
    loose_key,
    loose_keys,
    name_key,
    name_keys,
    person_key,
)
from meetings.models import Attendance
from stakeholders.models import (
    Organisation,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
    type_label,
)

# rapidfuzz WRatio (0-100) from which a name is offered as a suggestion.
SUGGESTION_SCORE = 86
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    name: str
    acronym: str
    is_active: bool

    @property
    def label(self):
        label = self.name
        if self.acronym and self.acronym.casefold() != self.name.casefold():
            label = f"{self.name} ({self.acronym})"
        if self.is_active:
            return label
        return gettext("%(organisation)s [inactive]") % {"organisation": label}


@dataclass(frozen=True)
class PersonInfo:
    id: int
    full_name: str
    email: str
    phone: str

    @property
    def label(self):
        return f"{self.full_name} <{self.email}>" if self.email else self.full_name


@dataclass(frozen=True)
class OrganisationMatch:
    """How a name written on the sheet resolves: to one organisation, or to
    none (with suggestions for the editor)."""

    organisation_id: int | None
    how: str = ""
    suggestions: tuple = ()
    # The resemblance (rapidfuzz, 0-100) of each suggestion found by
    # resemblance; none for several organisations answering to the name.
    scores: tuple = ()


def _chunks(items, size=None):
    size = size or connection.features.max_query_params or 2000
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fingerprint(rows):
    """What ``rows`` hold, whatever their order: their count and the sum of
    their hashes. Compared within one process only (Python salts the hashes
    of strings per process)."""
    return len(rows), sum(map(hash, rows)) & 0xFFFF_FFFF_FFFF_FFFF


class ReadSnapshot:
    """The reads inside see the database as of one moment, and take no write
    lock: planning a 10,000-row sheet takes seconds (tens at national scale),
    during which other editors must be able to save.

    On SQLite, a plain read transaction (``BEGIN DEFERRED``), which under WAL
    never blocks a writer; ``transaction.atomic()`` would begin IMMEDIATE, the
    write lock (config/settings.py). On PostgreSQL, a read-only REPEATABLE
    READ transaction. Inside a transaction already (a caller's, a test's), its
    reads are used as they are."""

    def __enter__(self):
        self.begun = None
        if connection.in_atomic_block or not connection.get_autocommit():
            return self
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("BEGIN DEFERRED")
            self.begun = "sqlite"
        elif connection.vendor == "postgresql":
            self.begun = transaction.atomic()
            self.begun.__enter__()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
        return self

    def __exit__(self, *exc_info):
        if self.begun == "sqlite":
            # Nothing was written: ending it either way only lets go of the
            # snapshot.
            with connection.cursor() as cursor:
                cursor.execute("COMMIT" if exc_info[0] is None else "ROLLBACK")
        elif self.begun is not None:
            return self.begun.__exit__(*exc_info)
        return False


class MatchIndex:
    """A snapshot of the records an import of one sheet into one meeting can
    touch. ``load`` costs a fixed number of queries whatever the size of the
    database (the email look-ups are split in chunks of the database's
    parameter limit).

    Organisations: every spelling on record (name, acronym, other names) is
    read and keyed, but only what the sheet's names need is kept: the
    spellings with one of their keys, the loose keys only for a name no key
    matches, and the suggestions only for a name nothing matches. People: those
    at the organisations the sheet's names resolve to (and those of its
    emails), read with their names in one query.

    Every read is remembered (its SQL and a fingerprint of its rows), so that
    ``is_current`` can tell, by running them again, whether a plan built from
    the index still holds: an import plans outside its write transaction and
    checks this inside it."""

    def __init__(self, meeting):
        self.meeting = meeting
        # (SQL, parameters) -> fingerprint of the rows read.
        self.reads = {}
        # Id -> OrganisationInfo of the organisations the names looked up
        # resolve to or resemble, and of those ``load_organisations`` read.
        self.organisations = {}
        # Name key -> {organisation id: how}, and loose key -> the same, for
        # the keys of the names looked up.
        self.by_key = {}
        self.by_loose = {}
        # Lower-case names of active organisations, among the names looked up.
        self.active_names = set()
        self.types = {}
        self.people = {}
        self.people_by_email = {}
        self.people_at = {}
        self._people_loaded_for = set()
        self._people_choices = {}
        self.attendance = {}
        self._matches = {}

    @classmethod
    def load(cls, meeting, sheet, decisions=None):
        index = cls(meeting)
        index.look_up(row.organisation for row in sheet.rows)
        if decisions is not None:
            index.load_organisations(decisions.organisation_ids())
        # Each type's name as the reader reads it, for the preview.
        index.types = {
            slug: (pk, type_label(name))
            for pk, slug, name in index.fetch(
                OrganisationType.objects.order_by().values_list("pk", "slug", "name")
            )
        }
        index.attendance = {
            (organisation_id, person_id): (pk, role, status)
            for pk, organisation_id, person_id, role, status in index.fetch(
                Attendance.objects.filter(meeting=meeting)
                .order_by()
                .values_list("pk", "organisation_id", "person_id", "role", "status")
            )
        }
        emails = {row.email.lower() for row in sheet.rows if row.email}
        for chunk in _chunks(sorted(emails)):
            for person in index.fetch(
                Person.objects.exclude(email="")
                .annotate(email_ci=Lower("email"))
                .filter(email_ci__in=chunk)
                .order_by()
                .values_list("pk", "full_name", "email", "phone")
            ):
                info = PersonInfo(*person)
                index.people[info.id] = info
                index.people_by_email[info.email.lower()] = info.id
        organisation_ids = {
            index.match(row.organisation).organisation_id for row in sheet.rows
        }
        if decisions is not None:
            organisation_ids |= decisions.organisation_ids()
        index.load_people(organisation_ids - {None})
        return index

    def fetch(self, query, params=()):
        """The rows of ``query`` (a queryset, or SQL with ``params``) as tuples
        straight from the database cursor, without Django's per-row work (for
        the reads of every organisation's names, hundreds of thousands of
        rows at national scale); remembered for ``is_current``."""
        if not isinstance(query, str):
            query, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        self.reads[(query, tuple(params))] = _fingerprint(rows)
        return rows

    def is_current(self):
        """Whether every read the index made reads the same rows now: if so,
        a plan built from it is what a plan built now would be
        (``build_plan`` depends on nothing else). The queries again, none of
        the matching; call it inside the transaction that writes."""
        for (sql, params), fingerprint in self.reads.items():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if _fingerprint(cursor.fetchall()) != fingerprint:
                    return False
        return True

    def look_up(self, texts):
        """Resolve the organisation names ``texts`` (``match`` then answers
        for them without a query): two queries, and a pass over every
        spelling on record."""
        wanted = {}
        lowered = set()
        for text in texts:
            key = name_key(text)
            if key and key not in self._matches:
                # As ``match`` caches: the first text written with a key
                # answers for all of them.
                wanted.setdefault(key, text)
                lowered.add(text.lower())
        if not wanted:
            return
        organisations = self.fetch(
            Organisation.objects.order_by("pk").values_list(
                "pk", "name", "acronym", "is_active"
            )
        )
        # In the order they are stored, as every spelling is considered in.
        other_names = self.fetch(
            OrganisationName.objects.order_by().values_list("organisation_id", "name")
        )
        records = {row[0]: row for row in organisations}
        # Every spelling: the names, the acronyms (blank ones never match),
        # the other names as stored.
        spellings = [
            *(row[1] for row in organisations),
            *(row[2] for row in organisations),
            *(row[1] for row in other_names),
        ]
        count = len(organisations)

        def spelling(i):
            """Spelling ``i``: its organisation, its order among the
            organisation's spellings, and what it is."""
            if i < count:
                return organisations[i][0], 0, "name"
            if i < 2 * count:
                return organisations[i - count][0], 1, "acronym"
            return other_names[i - 2 * count][0], i, "other name"

        def index_by(keys, spelling_keys, how_suffix=""):
            """{key: {organisation id: how}} of the spellings whose key is
            among ``keys``: organisations in id order, each described by its
            last spelling with that key."""
            hits = {}
            for i in [i for i, key in enumerate(spelling_keys) if key in keys]:
                hits.setdefault(spelling_keys[i], []).append(spelling(i))
            found = {}
            for key, spelt in hits.items():
                found[key] = {}
                for pk, _order, how in sorted(spelt):
                    found[key][pk] = how + how_suffix
            return found

        for _pk, name, _acronym, is_active in organisations:
            if is_active and name.lower() in lowered:
                self.active_names.add(name.lower())
        self.by_key.update(index_by(wanted.keys(), name_keys(spellings)))
        # Only for the names no key matches: their loose keys, and for those
        # still unmatched, the suggestions.
        loose = {
            key: loose_key(text)
            for key, text in wanted.items()
            if key not in self.by_key
        }
        if loose:
            self.by_loose.update(
                index_by(
                    set(loose.values()),
                    loose_keys(spellings),
                    ", spelt differently",
                )
            )
        unmatched = [
            wanted[key]
            for key, loose_text_key in loose.items()
            if loose_text_key not in self.by_loose
        ]
        suggestions = self._suggest_all(unmatched, organisations, other_names)

        def info(pk):
            if pk not in self.organisations:
                self.organisations[pk] = OrganisationInfo(
                    pk, *records[pk][1:3], bool(records[pk][3])
                )
            return self.organisations[pk]

        for key, text in wanted.items():
            self._matches[key] = match = self._match(
                key, text, info, suggestions.get(text, ((), ()))
            )
            for pk in (match.organisation_id, *match.suggestions):
                if pk is not None:
                    info(pk)

    def _match(self, key, text, info, resembling):
        for found in (self.by_key.get(key), self.by_loose.get(loose_key(text))):
            if not found:
                continue
            active = [pk for pk in found if info(pk).is_active]
            if len(active) == 1:
                return OrganisationMatch(active[0], found[active[0]])
            # Several organisations answer to the name, or only inactive ones:
            # the editor decides.
            return OrganisationMatch(None, suggestions=tuple(active or found))
        suggestions, scores = resembling
        return OrganisationMatch(None, suggestions=suggestions, scores=scores)

    @staticmethod
    def _suggest_all(texts, organisations, other_names):
        """{text: (ids of the active organisations ``text`` resembles, best
        first, and their scores)} for the names nothing matched: they are
        compared with every active spelling."""
        forms = [(text, fuzzy_form(text)) for text in texts]
        forms = [(text, form) for text, form in forms if form]
        if not forms:
            return {}
        others = {}
        for pk, name in other_names:
            others.setdefault(pk, []).append(name)
        spellings, spelling_ids = [], []
        for pk, name, acronym, is_active in organisations:
            if not is_active:
                continue
            for spelling in (name, acronym, *others.get(pk, ())):
                spellings.append(spelling)
                spelling_ids.append(pk)
        choices, choice_ids = [], []
        for form, pk in zip(fuzzy_forms(spellings), spelling_ids, strict=True):
            if form:
                choices.append(form)
                choice_ids.append(pk)
        # A name with a typo ("Ministry of Helth") is also compared as
        # corrected: as written, it may resemble a longer name too little
        # ("Ministry of Health of the Republic of Uzbekistan", 85.5).
        vocabulary = Vocabulary(choices)
        suggestions = {}
        for text, form in forms:
            found = {}
            for compared in dict.fromkeys([vocabulary.correct(form), form]):
                # WRatio weighs partial matches, which makes any short name
                # "resemble" every long one that contains its letters.
                scorer = fuzz.ratio if len(compared) <= 4 else fuzz.WRatio
                results = process.extract(
                    compared,
                    choices,
                    scorer=scorer,
                    processor=None,
                    score_cutoff=SUGGESTION_SCORE,
                    limit=MAX_SUGGESTIONS * 4,
                )
                for _form, score, position in results:
                    pk = choice_ids[position]
                    found[pk] = max(found.get(pk, 0), score)
            # Best first; among equals, as found (the corrected name's first).
            best = sorted(found.items(), key=lambda item: -item[1])[:MAX_SUGGESTIONS]
            suggestions[text] = (
                tuple(pk for pk, _score in best),
                tuple(score for _pk, score in best),
            )
        return suggestions

    def load_organisations(self, organisation_ids):
        """Read the organisations ``organisation_ids`` (the editor's choices)
        that are not loaded yet; an id with no organisation stays absent."""
        missing = set(organisation_ids) - set(self.organisations)
        for chunk in _chunks(sorted(missing)):
            for pk, name, acronym, is_active in self.fetch(
                Organisation.objects.filter(pk__in=chunk)
                .order_by()
                .values_list("pk", "name", "acronym", "is_active")
            ):
                self.organisations[pk] = OrganisationInfo(pk, name, acronym, is_active)

    def load_people(self, organisation_ids):
        """Load the people known at ``organisation_ids`` (by a position there or
        an earlier attendance for it), with their names: one query."""
        wanted = set(organisation_ids) - self._people_loaded_for
        if not wanted:
            return
        self._people_loaded_for |= wanted
        self._people_choices.clear()
        # Each organisation's people once (a UNION of its positions and its
        # attendance), then their records: the national core's organisations
        # have hundreds of thousands of attendance rows but a few thousand
        # people.
        quote = connection.ops.quote_name
        person = Person._meta
        columns = ", ".join(
            f"person.{quote(person.get_field(name).column)}"
            for name in ("id", "full_name", "email", "phone")
        )
        size = (connection.features.max_query_params or 4000) // 2
        for chunk in _chunks(sorted(wanted), size):
            links = [
                queryset.filter(organisation_id__in=chunk)
                .order_by()
                .values_list("organisation_id", "person_id")
                .query.sql_with_params()
                for queryset in (
                    Position.objects.all(),
                    Attendance.objects.filter(person__isnull=False),
                )
            ]
            # Django's own SQL for the two halves, quoted names for the rest.
            sql = (
                f"SELECT link.organisation_id, {columns} "  # noqa: S608
                f"FROM ({links[0][0]} UNION {links[1][0]}) link "
                f"JOIN {quote(person.db_table)} person "
                f"ON person.{quote(person.pk.column)} = link.person_id"
            )
            rows = self.fetch(sql, (*links[0][1], *links[1][1]))
            for organisation_id, person_id, full_name, email, phone in rows:
                if person_id not in self.people:
                    self.people[person_id] = PersonInfo(
                        person_id, full_name, email, phone
                    )
                key = person_key(full_name)
                self.people_at.setdefault(organisation_id, {}).setdefault(
                    key, set()
                ).add(person_id)

    def match(self, text):
        """How the organisation name ``text`` resolves (cached per key; a name
        ``load`` did not look up costs a look-up)."""
        key = name_key(text)
        if not key:
            return OrganisationMatch(None)
        if key not in self._matches:
            self.look_up([text])
        return self._matches[key]

    def person_suggestions(self, organisation_id, name):
        """People at the organisation whose name resembles ``name``: the
        better of rapidfuzz's token set ratio and ratio of the two
        ``person_key``s is at least ``SUGGESTION_SCORE``; best first."""
        return tuple(
            pk for pk, _score in self.scored_person_suggestions(organisation_id, name)
        )

    def scored_person_suggestions(self, organisation_id, name):
        """``person_suggestions`` with their scores: ((id, score), ...)."""
        known = self._people_choices.get(organisation_id)
        if known is None:
            known = self._people_choices[organisation_id] = _KnownNames(
                self.people_at.get(organisation_id, {})
            )
        form = person_key(name)
        scored = []
        for position in known.candidates(form):
            key = known.keys[position]
            score = max(fuzz.token_set_ratio(form, key), fuzz.ratio(form, key))
            if score >= SUGGESTION_SCORE:
                scored.extend((score, pk) for pk in known.people[position])
        scored.sort(
            key=lambda item: (-item[0], self.people[item[1]].full_name, item[1])
        )
        return tuple((pk, score) for score, pk in scored[:MAX_SUGGESTIONS])


class _KnownNames:
    """The ``person_key``s of the people at one organisation, indexed so that
    ``person_suggestions`` scores only the names that can reach the threshold,
    and scores those exactly as before. Without it a sheet of 10,000 new
    people at the national core's organisations scores millions of pairs.

    What can reach it follows from how rapidfuzz computes the token set ratio
    of two names A and B with no repeated word (a ``person_key`` is its words
    sorted, as rapidfuzz sorts them): with S the words they share, and D_A,
    D_B the rest of each joined,

    - S empty: the ratio of A and B;
    - S, D_A or D_B empty: 100;
    - otherwise the best of 1 - (1 + len D_B) / (2 len S + 1 + len D_B), the
      same for D_A, and 1 - indel(D_A, D_B) / (2 len S + 2 + len D_A +
      len D_B) (len S with its spaces), which at or above the threshold t
      needs ratio(D_A, D_B) >= t - (1 - t) (2 len S + 2) / (len D_A +
      len D_B).

    So a name is scored when its ratio to the sheet's is near the threshold;
    when it shares two or more words with it, or repeats a word; and when it
    shares one word w and either the share bounds above allow it, or the
    ratio of the rest, measured against the most lenient bound of the names
    with w, does. Each test keeps a point of slack for rounding."""

    def __init__(self, people_at):
        self.keys = list(people_at)
        self.people = list(people_at.values())
        self.by_word = {}
        self.repeating = []
        for position, key in enumerate(self.keys):
            words = key.split(" ") if key else []
            if not words or len(set(words)) != len(words):
                self.repeating.append(position)
                continue
            for word in words:
                self.by_word.setdefault(word, []).append(position)
        self._rests = {}

    def _rest(self, word):
        """For the names with ``word``: their positions, the rest of each
        (the name without ``word``), the shortest rest's length, and the
        positions whose rest is short enough to pass on the share alone."""
        if word not in self._rests:
            positions = self.by_word[word]
            rests = [
                " ".join(w for w in self.keys[p].split(" ") if w != word)
                for p in positions
            ]
            shared = len(word)
            short = [
                p
                for p, rest in zip(positions, rests, strict=True)
                # No rest: the name's words are among the sheet's, 100.
                if not rest or _share_score(shared, len(rest)) >= SUGGESTION_SCORE - 1
            ]
            self._rests[word] = (positions, rests, min(map(len, rests)), short)
        return self._rests[word]

    def candidates(self, form):
        """Positions of the keys that may score ``SUGGESTION_SCORE`` against
        ``form``, in order."""
        words = form.split(" ") if form else []
        if not words or len(set(words)) != len(words):
            return range(len(self.keys))
        found = set(self.repeating)
        found.update(
            position
            for _key, _score, position in process.extract(
                form,
                self.keys,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=SUGGESTION_SCORE - 1,
                limit=None,
            )
        )
        seen = set()
        for word in words:
            with_word = self.by_word.get(word, ())
            found.update(seen.intersection(with_word))
            seen.update(with_word)
        threshold = SUGGESTION_SCORE / 100
        for word in words:
            if word not in self.by_word:
                continue
            positions, rests, shortest, short = self._rest(word)
            rest = " ".join(w for w in words if w != word)
            shared = len(word)
            if not rest or _share_score(shared, len(rest)) >= SUGGESTION_SCORE - 1:
                found.update(positions)
                continue
            found.update(short)
            lenient = 100 * (
                threshold - (1 - threshold) * (2 * shared + 2) / (len(rest) + shortest)
            )
            if lenient <= 1:
                found.update(positions)
                continue
            found.update(
                positions[index]
                for _rest, _score, index in process.extract(
                    rest,
                    rests,
                    scorer=fuzz.ratio,
                    processor=None,
                    score_cutoff=lenient - 1,
                    limit=None,
                )
            )
        return sorted(found)


def _share_score(shared, rest):
    """rapidfuzz's score of the shared words (``shared`` characters) against
    them followed by a rest of ``rest`` characters."""
    return 100 * (1 - (1 + rest) / (2 * shared + 1 + rest))

"""The import's matching at scale: it keys only what a sheet needs, yet answers
exactly as comparing every spelling on record would; its queries do not grow
with the records; and its history rows are simple-history's."""

import random
import unicodedata

import iuliia
import pytest
from anyascii import anyascii
from django.utils import timezone
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein
from simple_history.utils import bulk_create_with_history

from core import names
from core.names import loose_key, name_key, person_key
from meetings.imports import matching
from meetings.imports.matching import MAX_SUGGESTIONS, SUGGESTION_SCORE, MatchIndex
from meetings.imports.planning import build_plan, plan_import
from meetings.imports.reading import read_sheet
from meetings.services import _create_with_history, attendance_import
from stakeholders.models import Organisation, OrganisationName, Person, Position
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db


def csv_data(rows, header=("Organisation", "Name", "Email")):
    lines = [";".join(header)] + [";".join(row) for row in rows]
    return "\n".join(lines).encode()


# The keys.


def reference_words(text):
    """The words of a name as the rules state them, step by step."""
    text = unicodedata.normalize("NFKC", text)
    if names._CYRILLIC.search(text):
        text = iuliia.UZ.translate(text)
    return names._WORD.findall(anyascii(text).lower())


AWKWARD = [
    "«Узинфоком»",
    "UZINFOCOM",
    "Ўзбекистон Ғалла Қўмитаси Ҳокимияти",
    "Объединённый съезд",
    "ГИЗ",
    "КфВ",
    "Deutsche Gesellschaft für Internationale Zusammenarbeit",
    "Project Office “Center for Healthcare Projects”",
    "ＦＵＬＬＷＩＤＴＨ ﬁnance Ⅷ ①",
    "\u0301leading combining mark",
    "e\u0301te\u0301",
    "Ελληνικό ΙΔΡΥΜΑ ΟΔΟΣ",
    "中文名称",
    "tab\tand\nnewline",
    "a\x01b",
    "",
    "—",
    "Минздрав-2",
    "Xasanov Khasanov Хасанов",
]


def test_the_transliteration_table_is_the_uzbek_schema():
    letters = "".join(chr(code) for code in range(0x0400, 0x0500))
    samples = [letters, letters.upper(), *AWKWARD]
    samples += [source for source, _expected in iuliia.UZ.samples]

    assert names._TRANSLIT is not None
    for text in samples:
        assert names._transliterate(text) == iuliia.UZ.translate(text)


@pytest.mark.parametrize("text", AWKWARD)
def test_the_fast_keys_are_the_keys_the_rules_give(text):
    words = reference_words(text)

    assert name_key(text) == "".join(words)
    assert loose_key(text) == "".join(names._fold(w) for w in words)
    assert person_key(text) == " ".join(sorted(names._fold(w) for w in words))


def test_keying_all_spellings_at_once_gives_each_ones_key():
    rnd = random.Random(1)  # noqa: S311 - test data
    alphabet = (
        "".join(chr(code) for code in range(0x0400, 0x0500))
        + "abcXYZ019 «»“”-.,\x01\u0301ﬁＡ①ǅİıßéΣσς中"
    )
    texts = AWKWARD + [
        "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        for _ in range(2000)
    ]
    without_separator = [text for text in texts if "\x01" not in text]

    for batch in (texts, without_separator, [t for t in texts if t.isascii()]):
        assert names.name_keys(batch) == ["".join(reference_words(t)) for t in batch]


# Organisations: the narrowed look-up answers as the full scan did.


def full_scan_match(text):
    """How ``text`` resolves when every spelling on record is keyed, as the
    import did before it narrowed its look-up: by name key, else by loose key
    (organisations in id order, described by their last spelling with the
    key), else suggestions among the active spellings."""
    by_key, by_loose, forms, form_ids = {}, {}, [], []
    for organisation in Organisation.objects.order_by("pk"):
        others = OrganisationName.objects.filter(organisation=organisation)
        spellings = [
            (organisation.name, "name"),
            (organisation.acronym, "acronym"),
            *((other.name, "other name") for other in others.order_by("pk")),
        ]
        for spelling, how in spellings:
            if not spelling or not name_key(spelling):
                continue
            by_key.setdefault(name_key(spelling), {})[organisation.pk] = how
            by_loose.setdefault(loose_key(spelling), {})[organisation.pk] = (
                f"{how}, spelt differently"
            )
            if organisation.is_active:
                forms.append(names.fuzzy_form(spelling))
                form_ids.append(organisation.pk)
    active = set(
        Organisation.objects.filter(is_active=True).values_list("pk", flat=True)
    )
    for found in (by_key.get(name_key(text)), by_loose.get(loose_key(text))):
        if not found:
            continue
        matching = [pk for pk in found if pk in active]
        if len(matching) == 1:
            return matching[0], found[matching[0]], ()
        return None, "", tuple(matching or found)
    form = names.fuzzy_form(text)
    found = {}
    for compared in dict.fromkeys([typos_corrected(form, forms), form]):
        scorer = fuzz.ratio if len(compared) <= 4 else fuzz.WRatio
        for _form, score, position in process.extract(
            compared,
            forms,
            scorer=scorer,
            processor=None,
            score_cutoff=SUGGESTION_SCORE,
            limit=MAX_SUGGESTIONS * 4,
        ):
            pk = form_ids[position]
            found[pk] = max(found.get(pk, 0), score)
    suggested = sorted(found, key=lambda pk: -found[pk])
    return None, "", tuple(suggested[:MAX_SUGGESTIONS])


def typos_corrected(form, forms):
    """``form`` with each word of 4 letters or more that no name on record
    holds replaced by the nearest such word, if one is close enough (1 letter
    for 4-7 letters, 2 from 8), the most frequent and then the first
    alphabetically among the nearest: every word on record compared."""
    counts = {}
    for other in forms:
        for word in other.split():
            counts[word] = counts.get(word, 0) + 1
    words = []
    for word in form.split():
        limit = 0 if len(word) < 4 else 1 if len(word) < 8 else 2
        if limit and word not in counts:
            near = [
                (DamerauLevenshtein.distance(word, known), -count, known)
                for known, count in counts.items()
                if len(known) >= 4
            ]
            near = [n for n in near if n[0] <= limit]
            if near:
                word = min(near)[2]
        words.append(word)
    return " ".join(words)


@pytest.fixture
def many_organisations():
    """Organisations whose spellings collide in every way the rules allow."""
    OrganisationFactory(name="World Health Organization", acronym="WHO")
    OrganisationFactory(name="WHO Collaborating Centre", acronym="WHO")
    OrganisationFactory(name="Uzinfocom", acronym="UZINFOCOM")
    OrganisationFactory(name="Old Agency", acronym="OLDA", is_active=False)
    OrganisationFactory(name="Old agency", acronym="", is_active=True)
    OrganisationFactory(name="Dormant Fund", acronym="DF", is_active=False)
    khasanov = OrganisationFactory(name="Khasanov and Partners", acronym="KAP")
    OrganisationNameFactory(organisation=khasanov, name="Хасанов и партнёры")
    OrganisationNameFactory(organisation=khasanov, name="KAP")
    giz = OrganisationFactory(
        name="Deutsche Gesellschaft für Internationale Zusammenarbeit", acronym="GIZ"
    )
    OrganisationNameFactory(organisation=giz, name="ГИЗ")
    OrganisationFactory(name="Ministry of Health", acronym="MOH")
    OrganisationFactory(name="Ministry of Finance", acronym="MOF")
    for n in range(40):
        OrganisationFactory(name=f"Regional Office {n}", acronym=f"RO{n}")


WRITTEN = [
    "WHO",
    "who",
    "World Health Organization",
    "world-health organisation",
    "Uzinfocom",
    "Узинфоком",
    "UZ INFOKOM",
    "Old Agency",
    "OLDA",
    "Dormant Fund",
    "Xasanov and Partners",
    "ХАСАНОВ И ПАРТНЁРЫ",
    "kap",
    "ГИЗ",
    "giz",
    "Deutsche Gesellschaft fur Internationale Zusammenarbeit",
    "Minstry of Helth",
    "Ministry of Helth",
    "Hinistry of Finance",
    "Ministry of Finanse",
    "Regional Ofice 17",
    "Regional Office 170",
    "RO 3",
    "Nothing Like It Ltd",
    "MOH",
]


def test_the_look_up_answers_as_the_full_scan_did(meeting, many_organisations):
    index = MatchIndex(meeting)
    index.look_up(WRITTEN)

    for text in WRITTEN:
        found = index.match(text)
        assert (found.organisation_id, found.how, found.suggestions) == (
            full_scan_match(text)
        ), text
        for pk in (found.organisation_id, *found.suggestions):
            if pk is not None:
                record = Organisation.objects.get(pk=pk)
                info = index.organisations[pk]
                assert (info.name, info.acronym, info.is_active) == (
                    record.name,
                    record.acronym,
                    record.is_active,
                )


def test_a_name_not_looked_up_is_looked_up_when_matched(meeting, many_organisations):
    index = MatchIndex(meeting)
    index.look_up(["WHO"])

    found = index.match("Minstry of Helth")

    assert found.suggestions == full_scan_match("Minstry of Helth")[2]


def test_an_active_name_is_known_only_for_names_looked_up(meeting, many_organisations):
    index = MatchIndex(meeting)
    index.look_up(["OLD AGENCY", "Dormant Fund"])

    # An active organisation is named "Old agency": a new one may not take
    # that name. "Dormant Fund" names an inactive one only.
    assert index.active_names == {"old agency"}


@pytest.fixture
def meeting():
    return MeetingFactory()


# People: the suggestions score only names that can resemble, and miss none.


def test_the_people_suggested_are_those_every_name_scored_would_give():
    rnd = random.Random(7)  # noqa: S311 - test data

    def word():
        return "".join(rnd.choice("aabcdeiklmnorstu") for _ in range(rnd.randint(1, 7)))

    vocabulary = [word() for _ in range(40)]
    for _trial in range(150):
        keys = {}
        for _ in range(rnd.randint(1, 50)):
            words = sorted(rnd.choice(vocabulary) for _ in range(rnd.randint(0, 4)))
            keys.setdefault(" ".join(words), set()).add(len(keys))
        known = matching._KnownNames(keys)
        for _ in range(20):
            words = rnd.choice(list(keys)).split(" ") if rnd.random() < 0.7 else []
            change = rnd.random()
            if change < 0.3 and words:
                words[rnd.randrange(len(words))] = rnd.choice(vocabulary)
            elif change < 0.5:
                words.append(rnd.choice(vocabulary))
            elif change < 0.6 and words:
                words.pop()
            form = " ".join(sorted(w for w in words if w))
            candidates = set(known.candidates(form))
            for position, key in enumerate(known.keys):
                score = max(fuzz.token_set_ratio(form, key), fuzz.ratio(form, key))
                if score >= SUGGESTION_SCORE:
                    assert position in candidates, (form, key, score)


def test_resembling_people_are_suggested_best_first(meeting):
    kfw = OrganisationFactory(name="KfW Bank", acronym="KfW")
    for name in ["Anna Maria Schmidt", "Anna Schmitt", "Boris Schmidt", "Anna Shmidt"]:
        PositionFactory(organisation=kfw, person__full_name=name)
    AttendanceFactory(organisation=kfw, person__full_name="Schmidt Anna Maria")
    index = MatchIndex(meeting)
    index.load_people([kfw.pk])

    suggested = index.person_suggestions(kfw.pk, "Anna Schmidt")

    expected = []
    for key, ids in index.people_at[kfw.pk].items():
        form = person_key("Anna Schmidt")
        score = max(fuzz.token_set_ratio(form, key), fuzz.ratio(form, key))
        if score >= SUGGESTION_SCORE:
            expected += [(-score, index.people[pk].full_name, pk) for pk in ids]
    assert suggested == tuple(pk for _s, _n, pk in sorted(expected)[:MAX_SUGGESTIONS])
    assert index.people[suggested[0]].full_name in (
        "Anna Maria Schmidt",
        "Schmidt Anna Maria",
    )


# Queries.


def test_the_plans_queries_do_not_grow_with_the_records(meeting, capture_queries):
    kfw = OrganisationFactory(name="KfW Bank", acronym="KfW")
    giz = OrganisationFactory(name="GIZ Office", acronym="GIZ")
    data = csv_data(
        [["KfW", f"Person {n}", f"p{n}@example.org"] for n in range(30)]
        + [["giz", "Lena Weber", ""], ["Unknown Org", "", ""]]
    )
    sheet = read_sheet(data, "sheet.csv")

    def queries():
        with capture_queries() as captured:
            build_plan(sheet, MatchIndex.load(meeting, sheet))
        return len(captured)

    few = queries()
    for n in range(300):
        organisation = OrganisationFactory(name=f"Agency {n}", acronym=f"AG{n}")
        OrganisationNameFactory(organisation=organisation)
    for n in range(150):
        PositionFactory(organisation=kfw, person__full_name=f"Known Person {n}")
        AttendanceFactory(organisation=giz, person__full_name=f"Guest {n}")

    assert queries() == few


def test_the_commit_costs_the_same_queries_with_more_records(meeting, capture_queries):
    OrganisationFactory(name="KfW Bank", acronym="KfW")

    def queries(run):
        data = csv_data(
            [["KfW", f"Person {run} {n}", f"p{run}.{n}@example.org"] for n in range(20)]
        )
        sheet = read_sheet(data, "sheet.csv")
        target = MeetingFactory()
        with capture_queries() as captured:
            attendance_import(meeting=target, sheet=sheet)
        return len(captured)

    few = queries(1)
    for n in range(300):
        OrganisationFactory(name=f"Agency {n}", acronym=f"AG{n}")

    assert queries(2) == few


# History.


def history_rows(model, ids):
    fields = [f.attname for f in model.history.model.tracked_fields]
    fields += ["history_type", "history_change_reason", "history_user_id"]
    rows = model.history.filter(id__in=ids).order_by("history_id")
    return [
        {k: v for k, v in row.items() if k not in ("id", "created_at", "updated_at")}
        for row in rows.values(*fields, "history_date")
    ]


def test_records_and_history_rows_are_those_bulk_create_with_history_writes(
    superuser,
):
    moment = timezone.now()
    history = {
        "default_user": superuser,
        "default_change_reason": "Imported from sign-in sheet s.csv",
        "default_date": moment,
    }
    kfw = OrganisationFactory(name="KfW Bank", acronym="KfW")

    def rows(prefix):
        return [
            {"full_name": f"{prefix} {n}", "email": f"{prefix}{n}@x.example"}
            for n in range(5)
        ]

    ours = _create_with_history(Person, rows("ours"), **history)
    theirs = [
        person.pk
        for person in bulk_create_with_history(
            [Person(**row) for row in rows("theirs")], Person, **history
        )
    ]
    positions = _create_with_history(
        Position,
        [{"person_id": pk, "organisation_id": kfw.pk, "title": "CEO"} for pk in ours],
        **history,
    )

    def same(model, mine, reference, renamed=()):
        for row, expected in zip(mine, reference, strict=True):
            for name in renamed:
                value, other = row.pop(name, ""), expected.pop(name, "")
                assert value.replace("ours", "theirs") == other
            assert row == expected

    stamps = ("id", "created_at", "updated_at")
    records = [
        {k: v for k, v in row.items() if k not in stamps}
        for ids in (ours, theirs)
        for row in Person.objects.filter(pk__in=ids).order_by("pk").values()
    ]
    # search_key: the generated lower-case name and email, where there is one.
    renamed = ("full_name", "email", "search_key")
    same(Person, records[:5], records[5:], renamed=renamed)
    mine, reference = history_rows(Person, ours), history_rows(Person, theirs)
    assert len(mine) == len(reference) == 5
    same(Person, mine, reference, renamed=renamed)
    for model, ids in ((Person, ours), (Position, positions)):
        for record in model.objects.filter(pk__in=ids):
            (row,) = record.history.all()
            assert (row.history_user, row.history_type, row.history_date) == (
                superuser,
                "+",
                moment,
            )
            for field in model.history.model.tracked_fields:
                assert getattr(row, field.attname) == getattr(record, field.attname)


# Reusing the plan made for the preview.


def test_a_plan_made_just_before_is_checked_not_made_again(meeting, capture_queries):
    OrganisationFactory(name="KfW Bank", acronym="KfW")
    sheet = read_sheet(csv_data([["KfW", "Anna", "anna@kfw.example"]]), "s.csv")
    plan = plan_import(meeting, sheet)

    with capture_queries() as queries:
        attendance_import(
            meeting=meeting, sheet=sheet, plan=plan, expected_digest=plan.digest
        )

    assert meeting.attendances.get().person.full_name == "Anna"
    # The names on record read once, by the check.
    names = [sql for sql in queries.sql if "stakeholders_organisationname" in sql]
    assert len(names) == 1


def test_a_plan_for_another_meeting_is_not_used(meeting):
    kfw = OrganisationFactory(name="KfW Bank", acronym="KfW")
    sheet = read_sheet(csv_data([["KfW", "Anna", ""]]), "s.csv")
    other = MeetingFactory()
    AttendanceFactory(meeting=other, organisation=kfw, person__full_name="Anna")
    plan = plan_import(other, sheet)

    plan = attendance_import(meeting=meeting, sheet=sheet, plan=plan)

    # Planned against this meeting's attendance: Anna is added here.
    assert plan.rows[0].outcome == "add"
    assert meeting.attendances.count() == 1

"""The trigram index of the search keys (core/search.py): a search
through it finds exactly the rows a substring test of every key finds (for
each form a term is looked for as: core.names.search_terms), it follows
every kind of write, and a migration that drops its triggers or tables has
them put back. What the keys hold is tests/core/test_search_key.py's."""

import random

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from core import names, search
from meetings.models import Meeting
from stakeholders.models import (
    Organisation,
    OrganisationName,
    OrganisationType,
    Person,
)
from tests.factories import (
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="The FTS5 index is SQLite's."
)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="The GIN index is PostgreSQL's."
)


def including(model, term):
    """The ids of ``model``'s rows whose key contains a form of ``term``, by
    a substring test of every row's stored key."""
    forms = names.search_terms(term)
    return {
        pk
        for pk, key in model.objects.values_list("pk", "search_key")
        if any(form in key for form in forms)
    }


def found(model, term):
    return set(
        model.objects.filter(search_key__includes=term).values_list("pk", flat=True)
    )


# Sample names: Latin, Cyrillic and Uzbek in both scripts, with the symbols
# that FTS5 query syntax and LIKE patterns give a meaning to.
SYLLABLES = [
    *("ka", "ri", "mo", "va", "sha", "cho‘", "g‘u", "ul", "bek", "jon", "xon", "O'z"),
    *("Ми", "ра", "ва", "ко", "ста", "ние", "здра", "во", "ху", "Ўз", "қа", "ғо", "ҳа"),
]
SYMBOLS = ['"', "'", "*", "-", ":", "(", ")", "%", "_", "\\", "^", "+", "ʻ", " "]


def sample_name(rng, words=3):
    parts = []
    for _ in range(words):
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            word += rng.choice(SYMBOLS)
        parts.append(word.capitalize() if rng.random() < 0.7 else word.upper())
    return " ".join(parts)


@pytest.fixture
def sample_rows():
    """A few hundred organisations, other names, people and meetings."""
    rng = random.Random(20250129)  # noqa: S311 - repeatable sample names
    ministry = OrganisationType.objects.get(slug="ministry")
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"{sample_name(rng)} {n}",
            acronym=sample_name(rng, words=1)[:10],
            type=ministry,
        )
        for n in range(120)
    )
    OrganisationName.objects.bulk_create(
        OrganisationName(organisation=organisation, name=sample_name(rng, words=4))
        for organisation in organisations[::2]
    )
    Person.objects.bulk_create(
        Person(
            full_name=sample_name(rng), email=f"p{n}.{rng.choice(['ab', 'uz'])}@x.uz"
        )
        for n in range(300)
    )
    for _ in range(80):
        MeetingFactory(
            title=sample_name(rng, words=4), venue=sample_name(rng), host=None
        )
    return rng


def sample_terms(rng):
    """Terms of 1, 2, 3, 4 and 10 characters cut from the keys, in their own
    and in upper case, terms across the line between two parts of a key, and
    terms that are FTS5 or LIKE syntax."""
    keys = []
    for model in (Organisation, OrganisationName, Person, Meeting):
        keys += model.objects.values_list("search_key", flat=True)
    terms = set()
    for key in rng.sample(keys, 60):
        for length in (1, 2, 3, 4, 10):
            start = rng.randrange(max(1, len(key) - length))
            term = key[start : start + length]
            if search.SEPARATOR not in term:
                terms |= {term, term.upper()}
        head, _, tail = key.partition(search.SEPARATOR)
        if tail:
            # Across the separator, without it: in no key.
            terms.add(head[-3:] + tail[:3])
    terms |= {
        *SYMBOLS,
        'o"',
        '""',
        "x*",
        "-ka",
        "ka:",
        "(ka)",
        "and",
        "AND",
        "near",
        "%_\\",
        "o‘z",
        "o'z",
        "ўз",
        "ЎЗ",
        "здра",
        "qwertyuiop",
    }
    return sorted(term for term in terms if term.strip())


def test_it_finds_the_rows_the_substring_test_finds(sample_rows):
    terms = sample_terms(sample_rows)
    assert len(terms) > 300
    for model in (Organisation, OrganisationName, Person, Meeting):
        for term in terms:
            assert found(model, term) == including(model, term), (model, term)


def meets(key, terms):
    """Whether a stored ``key`` has ``terms`` (a term or search.Terms), by
    substring tests."""
    if isinstance(terms, search.Terms):
        each = [meets(key, term) for term in terms.terms]
        return all(each) if terms.connector == "AND" else any(each)
    return any(form in key for form in names.search_terms(terms))


def test_terms_combined_find_the_rows_the_substring_tests_find(sample_rows):
    rng = sample_rows
    terms = sample_terms(rng)
    for model in (Organisation, OrganisationName, Person, Meeting):
        keys = dict(model.objects.values_list("pk", "search_key"))
        for _ in range(40):
            # Two parts of one key, for rows that have both, and any term.
            key = rng.choice(list(keys.values()))
            a, b = (
                key[i : i + rng.randint(1, 5)] for i in rng.sample(range(len(key)), 2)
            )
            c = rng.choice(terms)
            for combined in (
                search.Terms.every(a, b),
                search.Terms.any(a, c),
                search.Terms.every(a, search.Terms.any(b, c)),
                search.Terms.any(search.Terms.every(a, b), search.Terms.every(c)),
            ):
                expected = {pk for pk, key in keys.items() if meets(key, combined)}
                assert found(model, combined) == expected, (model, a, b, c)


def test_searches_find_the_rows_the_substring_test_finds(sample_rows):
    for term in sample_terms(sample_rows):
        # A search strips its term.
        term = term.strip()
        organisations = including(Organisation, term) | set(
            OrganisationName.objects.filter(
                pk__in=including(OrganisationName, term)
            ).values_list("organisation", flat=True)
        )
        assert set(Organisation.objects.search(term)) == set(
            Organisation.objects.filter(pk__in=organisations)
        ), term
        assert set(Person.objects.search(term).values_list("pk", flat=True)) == (
            including(Person, term)
        ), term
        assert set(Meeting.objects.search(term).values_list("pk", flat=True)) == (
            including(Meeting, term)
        ), term


def test_a_term_across_two_parts_of_a_key_matches_nothing():
    OrganisationFactory(name="Ministry of Health", acronym="MoH")

    assert not Organisation.objects.search("healthmoh").exists()
    assert not Organisation.objects.search("health moh").exists()
    assert Organisation.objects.search("health").exists()
    assert Organisation.objects.search("moh").exists()


@sqlite_only
def test_a_term_with_a_nul_character_is_tested_on_every_row():
    """FTS5 would read the query string up to the NUL and fail."""
    PersonFactory(full_name="Aziza Karimova")

    assert not Person.objects.search("kari\x00mova").exists()


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ('Mahalla "Nuroniy" jamg‘armasi', '"nuroniy"'),
        ('Mahalla "Nuroniy" jamg‘armasi', 'a "n'),
        ("Jamg‘arma (Nuroniy)", "(nuroniy)"),
        ("Tech-Hub: Toshkent*", "-hub: toshkent*"),
        ("Ўзбекистон AND Қозоғистон", "он and қ"),
        ("100% ochiq_data", "100%"),
        ("100% ochiq_data", "q_d"),
        ("C:\\Hujjatlar", ":\\hu"),
    ],
)
def test_the_syntax_of_fts5_and_like_in_a_term_is_no_syntax(name, term):
    """Punctuation is no part of a key (core.names), so a term's quotes,
    brackets, stars, % and _ are neither FTS5 or LIKE syntax nor letters to
    find: the term finds what its letters and digits alone find."""
    person = PersonFactory(full_name=name)
    PersonFactory(full_name="Aziz Karimov")
    letters = "".join(c for c in term if c.isalnum() or c == " ")

    assert person in Person.objects.search(term)
    assert set(Person.objects.search(term)) == set(Person.objects.search(letters))


def test_fts_string_doubles_the_quotes_of_a_term():
    assert search.fts_string('o"z') == '"o""z"'
    assert search.fts_string("a* - b:(c)") == '"a* - b:(c)"'


# Writes

MODELS = {
    "organisation": (Organisation, "name", lambda name: OrganisationFactory(name=name)),
    "other name": (
        OrganisationName,
        "name",
        lambda name: OrganisationNameFactory(name=name),
    ),
    "person": (Person, "full_name", lambda name: PersonFactory(full_name=name)),
    "meeting": (Meeting, "title", lambda name: MeetingFactory(title=name)),
}


@pytest.fixture(params=MODELS.values(), ids=MODELS.keys())
def searchable(request):
    return request.param


def test_it_finds_a_row_once_it_is_created(searchable):
    model, _, create = searchable

    row = create("Oʻzbekiston Respublikasi")

    assert found(model, "respublika") == {row.pk}
    assert found(model, "oʻzbek") == {row.pk}


def test_it_finds_a_renamed_row_by_its_new_name_only(searchable):
    model, field, create = searchable
    row = create("Toshkent shahar hokimligi")

    setattr(row, field, "Samarqand viloyati hokimligi")
    row.save()

    assert found(model, "samarqand") == {row.pk}
    assert found(model, "toshkent") == set()
    assert found(model, "hokimligi") == {row.pk}


def test_it_no_longer_finds_a_deleted_row(searchable):
    model, _, create = searchable
    row = create("Buxoro viloyati")
    kept = create("Buxoro shahri")

    row.delete()

    assert found(model, "buxoro") == {kept.pk}


def test_it_finds_rows_written_together_by_bulk_create():
    Person.objects.bulk_create(
        [
            Person(full_name="Dilnoza Yusupova"),
            Person(full_name="Дилноза Юсупова"),
            Person(full_name="Dilnoza Karimova"),
        ]
    )

    # Either script finds both spellings (before issue 12, each its own).
    assert set(
        Person.objects.search("yusupov").values_list("full_name", flat=True)
    ) == {"Dilnoza Yusupova", "Дилноза Юсупова"}
    assert set(Person.objects.search("ЮСУПОВ").values_list("full_name", flat=True)) == {
        "Dilnoza Yusupova",
        "Дилноза Юсупова",
    }


def test_it_follows_a_queryset_update(searchable):
    model, field, create = searchable
    row = create("Navoiy viloyati")

    model.objects.filter(pk=row.pk).update(**{field: "Xorazm viloyati"})

    assert found(model, "xorazm") == {row.pk}
    assert found(model, "navoiy") == set()


def test_it_still_finds_a_row_after_a_write_that_leaves_its_key_alone():
    person = PersonFactory(full_name="Jasur Rahimov")

    Person.objects.filter(pk=person.pk).update(meetings_attended=3, phone="+998 71")

    assert list(Person.objects.search("rahimov")) == [person]


# The plans


@sqlite_only
def test_a_search_reads_the_fts_table_and_the_list_still_pages_in_order():
    PersonFactory.create_batch(3, full_name="Karimov")
    queryset = Person.objects.search("karimov").order_by("full_name", "pk")[:2]
    sql, params = queryset.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[-1] for row in cursor.fetchall()]

    assert any("stakeholders_person_fts VIRTUAL TABLE" in step for step in plan), plan
    assert "INSTR" not in sql
    assert len(queryset) == 2


@sqlite_only
def test_a_term_of_two_characters_is_tested_on_every_row():
    person = PersonFactory(full_name="Li Wei")

    sql = str(Person.objects.search("li").query)

    assert "INSTR" in sql
    assert "_fts" not in sql
    assert list(Person.objects.search("li")) == [person]


@postgresql_only
def test_a_search_can_read_the_gin_index():
    PersonFactory(full_name="Karimov")
    sql, params = Person.objects.search("karimov").order_by().query.sql_with_params()

    with connection.cursor() as cursor:
        # A few rows are read faster without the index: make the planner
        # show that it can use it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "stakeholders_person_search_trgm" in plan, plan


# Repairs after a migration


def repair():
    search.index_repair(apps=django_apps, using=connection.alias, verbosity=0)


def execute(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_the_repair_costs_one_query_when_every_index_is_there(
    django_assert_num_queries,
):
    with django_assert_num_queries(1):  # the names of the index objects
        repair()


@sqlite_only
def test_the_repair_puts_back_a_dropped_trigger_and_rebuilds_the_index():
    before = PersonFactory(full_name="Aziz Tursunov")
    execute('DROP TRIGGER "stakeholders_person_fts_insert"')
    # Written while the trigger was missing: not in the index.
    missed = PersonFactory(full_name="Anvar Tursunov")
    assert set(Person.objects.search("tursunov")) == {before}

    repair()
    after = PersonFactory(full_name="Bobur Tursunov")

    assert set(Person.objects.search("tursunov")) == {before, missed, after}


@sqlite_only
def test_the_repair_puts_back_a_dropped_fts_table():
    person = PersonFactory(full_name="Aziz Tursunov")
    execute('DROP TABLE "stakeholders_person_fts"')

    repair()

    assert list(Person.objects.search("tursunov")) == [person]
    added = PersonFactory(full_name="Anvar Tursunov")
    assert set(Person.objects.search("tursunov")) == {person, added}


@sqlite_only
def test_the_repair_leaves_alone_an_index_whose_migration_is_not_applied():
    execute('DROP TABLE "stakeholders_person_fts"')
    execute(
        "DELETE FROM django_migrations "
        "WHERE app = 'stakeholders' AND name = '0009_search_index'"
    )

    repair()

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "stakeholders_person_fts" not in tables


@postgresql_only
def test_the_repair_leaves_alone_a_gin_index_whose_migration_is_not_applied():
    execute('DROP INDEX "meetings_meeting_search_trgm"')
    execute(
        "DELETE FROM django_migrations "
        "WHERE app = 'meetings' AND name = '0008_search_index'"
    )

    repair()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes "
            "WHERE indexname = 'meetings_meeting_search_trgm'"
        )
        assert cursor.fetchone() == (0,)


def statistics_target(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = 'search_key'",
            [table],
        )
        return cursor.fetchone()[0]


@postgresql_only
@pytest.mark.parametrize("label", sorted(search.INDEXED))
def test_postgresql_keeps_a_thousand_values_of_each_search_key(label):
    """So that a list searched by a common word reads the matches from the
    trigram index rather than walk the name index (core.search)."""
    table = django_apps.get_model(label)._meta.db_table

    assert statistics_target(table) == search.SEARCH_KEY_STATISTICS == 1000


@postgresql_only
def test_the_repair_keeps_the_statistics_of_a_search_key_added_again():
    # What dropping and adding the generated column (a new key version)
    # leaves: no GIN index and the default statistics target.
    execute('DROP INDEX "stakeholders_person_search_trgm"')
    execute(
        'ALTER TABLE "stakeholders_person" ALTER COLUMN search_key SET STATISTICS -1'
    )

    repair()

    assert statistics_target("stakeholders_person") == 1000


@postgresql_only
def test_the_repair_puts_back_a_dropped_gin_index():
    execute('DROP INDEX "stakeholders_person_search_trgm"')

    repair()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes "
            "WHERE indexname = 'stakeholders_person_search_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_repair_follows_a_migration_that_copies_the_table():
    """Django's SQLite schema editor alters a column by copying the table into
    a new one and dropping the old, triggers included."""
    person = PersonFactory(full_name="Aziz Tursunov")
    old = Person._meta.get_field("phone")
    new = old.clone()
    new.set_attributes_from_name("phone")
    new.max_length = old.max_length + 1
    with connection.schema_editor() as editor:
        editor.alter_field(Person, old, new)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE name = 'stakeholders_person_fts_insert'"
            )
            assert cursor.fetchone() == (0,)

        repair()
        added = PersonFactory(full_name="Anvar Tursunov")

        assert set(Person.objects.search("tursunov")) == {person, added}
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Person, new, old)
        repair()


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_index():
    """``flush`` (a transactional test's teardown) deletes the rows: the
    delete triggers take them out of the index."""
    PersonFactory(full_name="Aziz Tursunov")

    call_command("flush", interactive=False, verbosity=0)
    person = PersonFactory(full_name="Anvar Tursunov")

    assert list(Person.objects.search("tursunov")) == [person]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM stakeholders_person_fts "
                "WHERE stakeholders_person_fts MATCH '\"tursunov\"'"
            )
            assert cursor.fetchone() == (1,)

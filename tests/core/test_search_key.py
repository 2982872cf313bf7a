"""The search key (core.names.search_key, stored by core.search.SearchKey):
the database computes the very key Python does, on both engines; its first
line is the import's loose key, so the search finds what the import
matches; each spelling class of issue 12 finds its other spellings, in both
directions, and nothing that only over-folding would find."""

import hashlib
import random
import sqlite3

import pytest
from django.db import connection

from core import names, search
from core.names import loose_key, search_key, search_terms
from meetings.models import Meeting, Topic
from stakeholders.models import Organisation, OrganisationName, OrganisationType, Person
from tests.factories import OrganisationFactory, OrganisationNameFactory

pytestmark = pytest.mark.django_db

# Names in every class: Russian and Uzbek Cyrillic, Uzbek Latin with each
# apostrophe, the romanisations of Russian names, mixed scripts,
# punctuation, Latin letters with diacritics.
CYRILLIC = [
    "Министерство здравоохранения Республики Узбекистан",
    "Всемирная организация здравоохранения",
    "Государственный фонд медицинского страхования",
    "Агентство статистики при Президенте Республики Узбекистан",
    "Кузнецов Юрий Петрович",
    "Журавлёв Алексей",
    "Цой Виктор",
    "Щукин Борис",
    "Объединённый съезд",
    "Джураев Хасан",
    "Юлия Ильина",
    "Мария Семёнова",
    "Ўзбекистон Республикаси Соғлиқни сақлаш вазирлиги",
    "Тошкент шаҳар ҳокимлиги",
    "Қорақалпоғистон Республикаси",
    "Ғалла-Орол туман ҳокимияти",
    "Ҳамкорлик маркази",
    "Узинфоком",
    "ИЙ и\u0306 ЁЁ е\u0308 Ў у\u0306",  # composed and decomposed letters
    "Қазақстан Республикасы Денсаулық сақтау министрлігі",
    "Україна: Міністерство охорони здоровʼя",
]
LATIN = [
    "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi",
    "O'zbekiston Respublikasi Sog'liqni saqlash vazirligi",
    "O‘zbekiston Respublikasi Sog‘liqni saqlash vazirligi",
    "O’zbekiston Respublikasi Sog’liqni saqlash vazirligi",
    "O`zbekiston Respublikasi Sog`liqni saqlash vazirligi",
    "Toshkent shahar hokimligi",
    "Qoraqalpogʻiston Respublikasi",
    "Gʻalla-Orol tuman hokimiyati",
    "Jahon sogʻliqni saqlash tashkiloti",
    "UZINFOCOM",
    "Uzinfokom",
    "Khasanov Timur",
    "Xasanov Timur",
    "Hasanov Timur",
    "Kuznetsov Yuriy",
    "Kuznecov Iurii",
    "Zhuravlev Aleksey",
    "Juravlev Aleksei",
    "Dzhuraev Khasan",
    "Djuraev Hasan",
    "Juraev Xasan",
    "Yuliya Ilyina",
    "Iuliia Ilina",
    "Mariya Semyonova",
    "Maria Semenova",
    "Tsoy Viktor",
    "Coy Viktor",
    "Shchukin Boris",
    "Center for Healthcare Projects",
    "KfW Development Bank",
    "Kreditanstalt für Wiederaufbau",
    "Agence Française de Développement",
    "Türkiye İşbirliği ve Koordinasyon Ajansı (TİKA)",
    "Straße Œuvre Ñandú Łódź Čech",
]
MIXED = [
    "Банк KfW",
    "UZINFOCOM (Узинфоком)",
    "GIZ Ўзбекистон",
    "ООО «Uzinfocom»",
    "“Center for Healthcare Projects” лойиҳа офиси",
    "Project Office — «Центр проектов здравоохранения»",
    "Tech-Hub: Toshkent*",
    "100% ochiq_data",
    "a.karimova@who.int",
    "t.rashidov+giz@gmail.com",
    "Aziz   Hamidov\u00a0Jr.",
    "№ 5 poliklinika",
    "Mik-hail",
]
# Beyond the table: compared as lower() leaves them, on both engines.
OTHER = ["ΟΔΟΣ Ελληνικό", "中文名称", "Ελληνικό ΙΔΡΥΜΑ ΟΔΟΣ", "Cafe\u0301 ①"]

SYLLABLES = [
    *("ka", "ri", "mo", "va", "sha", "cho‘", "g‘u", "ul", "bek", "jon", "xon"),
    *("O'z", "kh", "zh", "ts", "iu", "ia", "dzh", "ck", "ch", "c", "q", "w"),
    *("Ми", "ра", "ва", "ко", "ста", "ние", "здра", "ху", "Ўз", "қа", "ғо", "ҳа"),
    *("цы", "жу", "щи", "ёл", "юр", "ят", "ч", "ъе", "ь"),
]
SYMBOLS = ['"', "'", "-", ".", "(", ")", "ʻ", "’", "«", "»", " ", "—", "@"]


def random_names(count, seed=20250129):
    rng = random.Random(seed)  # noqa: S311 - repeatable sample names
    found = []
    for _ in range(count):
        words = []
        for _ in range(rng.randint(1, 4)):
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.3:
                word += rng.choice(SYMBOLS)
            words.append(word.capitalize() if rng.random() < 0.7 else word.upper())
        found.append(" ".join(words))
    return found


NAMES = CYRILLIC + LATIN + MIXED + OTHER + random_names(300)


def test_the_database_computes_the_key_python_does():
    """On this engine (both run the suite): SQLite through the Python
    function, PostgreSQL through its own SQL."""
    ministry = OrganisationType.objects.get(slug="ministry")
    pairs = list(zip(NAMES, reversed(NAMES), strict=True))
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"{name} {n}", acronym=other[:50], type=ministry)
        for n, (name, other) in enumerate(pairs)
    )
    OrganisationName.objects.bulk_create(
        OrganisationName(organisation=organisation, name=name)
        for organisation, name in zip(organisations, NAMES, strict=True)
    )
    Person.objects.bulk_create(
        Person(full_name=name, email=other[:200]) for name, other in pairs
    )
    Meeting.objects.bulk_create(
        Meeting(title=name, venue=other, starts_at="2025-01-29T10:00:00+05:00")
        for name, other in pairs
    )
    Topic.objects.bulk_create(Topic(name=f"{name} {n}") for n, name in enumerate(NAMES))

    checked = 0
    for model, fields in [
        (Organisation, ("name", "acronym")),
        (OrganisationName, ("name",)),
        (Person, ("full_name", "email")),
        (Meeting, ("title", "venue")),
        (Topic, ("name",)),
    ]:
        for row in model.objects.values(*fields, "search_key"):
            texts = [row[field] for field in fields]
            assert row["search_key"] == search_key(*texts), texts
            checked += 1
    assert checked > 5 * 350


def test_the_key_follows_an_update_in_the_database():
    organisation = OrganisationFactory(name="Oʻzbekiston", acronym="UZ")

    Organisation.objects.filter(pk=organisation.pk).update(name="Тошкент «Ҳамкор»")

    organisation.refresh_from_db()
    assert organisation.search_key == search_key("Тошкент «Ҳамкор»", "UZ")
    assert organisation.search_key == "toshkenthamkor\nuz"


@pytest.mark.parametrize("name", CYRILLIC + LATIN + MIXED + random_names(300))
def test_the_first_line_of_a_key_is_the_imports_loose_key(name):
    """The import matches names by their loose key (core.names): the
    search reads the same letters, so it finds what the import matches."""
    assert search_key(name).split("\n")[0] == loose_key(name)


def test_a_key_has_a_line_for_each_reading_of_a_lone_c():
    assert search_key("Kuznecov") == "kuznekov\nkuznesov"
    assert search_key("Chilonzor") == "chilonzor"
    assert search_key("UZINFOCOM", "") == "uzinfokom\nuzinfosom\n"
    # "ck" and "ch" leave no lone c: the second line is the first again.
    assert search_key("Dick Charles") == "dikcharles\ndikcharles"


def test_the_steps_are_the_ones_the_stored_keys_were_computed_by():
    """A change of the rules needs SEARCH_KEY_VERSION bumped and a migration
    that removes and adds every search_key (as stakeholders 0015 and meetings
    0013 do); then this digest is updated."""
    rules = repr(
        (
            names.SEARCH_KEY_VERSION,
            names.KEY_COMBINED,
            sorted(names.KEY_TABLE.items()),
            names.FOLDS,
            names.C_READINGS,
            names.CH_KEPT,
            names.KEY_DROPPED,
            names.KEY_HAS_C,
        )
    )
    assert names.SEARCH_KEY_VERSION == 1
    assert hashlib.sha256(rules.encode()).hexdigest()[:16] == "8c13715f95e4f793"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's function.")
def test_sqlite_refuses_a_write_without_the_function(tmp_path):
    """A tool that opens the database without Hamkor's function writes no
    wrong key: SQLite refuses the write."""
    path = tmp_path / "keys.sqlite3"
    with sqlite3.connect(path) as database:
        database.create_function(
            search.SQLITE_FUNCTION, -1, search_key, deterministic=True
        )
        database.execute(
            "CREATE TABLE t (name TEXT, search_key TEXT GENERATED ALWAYS AS "
            f"({search.SQLITE_FUNCTION}(name)) STORED)"
        )
        database.execute("INSERT INTO t (name) VALUES ('Узинфоком')")
    with sqlite3.connect(path) as database:
        assert database.execute("SELECT search_key FROM t").fetchall() == [
            ("uzinfokom",)
        ]
        with pytest.raises(sqlite3.OperationalError, match="hamkor_search_key"):
            database.execute("UPDATE t SET name = 'Uzinfocom'")


# What a term is looked for as.


@pytest.mark.parametrize(
    ("term", "forms"),
    [
        ("Узинфоком", ["uzinfokom"]),
        ("UZINFOCOM", ["uzinfokom", "uzinfosom"]),
        ("Sog'liqni", ["soglikni", "sogliknya", "sogliknyu"]),
        # Stopped inside "kh", "ts", "ia"/"iu"/"iya", "ch"/"ck".
        ("Mik", ["mih", "mik"]),
        ("Kuznet", ["kuznes", "kuznet"]),
        ("Yuli", ["yuli", "yulya", "yulyu"]),
        ("Uzinfoc", ["uzinfoch", "uzinfok", "uzinfos"]),
        # Short: as typed (folded), no second reading, no guessed letters.
        ("k", ["k"]),
        ("t", ["t"]),
        ("Ts", ["s"]),
        ("co", ["ko"]),
        ("X", ["h"]),
        # No letter or digit: nothing to find.
        ("'", []),
        ("«» —", []),
    ],
)
def test_a_term_is_looked_for_as_its_key_and_the_letters_it_may_stop_in(term, forms):
    assert search_terms(term) == forms


# Each spelling class, stored one way and typed the other, and back.

SAME = [
    # case, punctuation, spaces
    ("Uzinfocom", "UZINFOCOM"),
    ("«Uzinfocom» MChJ", "uzinfocom mchj"),
    ("Center for Healthcare Projects", "centerfor health-care PROJECTS"),
    ("Tech-Hub: Toshkent", "tech hub toshkent"),
    # the apostrophes of Uzbek Latin
    ("Sogʻliqni saqlash", "Sog'liqni saqlash"),
    ("Sog‘liqni saqlash", "sogʻliqni saqlash"),
    ("Sog’liqni saqlash", "Sog`liqni saqlash"),
    ("Sog`liqni saqlash", "Sog’liqni saqlash"),
    ("Oʻzbekiston", "ozbekiston"),
    # Uzbek Cyrillic and Latin
    ("Тошкент шаҳар ҳокимлиги", "toshkent shahar hokimligi"),
    ("Қорақалпоғистон", "Qoraqalpogʻiston"),
    ("Ўзбекистон", "O'zbekiston"),
    ("Ғалла-Орол", "G'allaorol"),
    ("Шаҳрисабз", "Shahrisabz"),
    ("Чирчиқ", "Chirchiq"),
    ("Ёшлар иттифоқи", "Yoshlar ittifoqi"),
    ("Юнусобод", "Yunusobod"),
    ("Янгийўл", "Yangiyoʻl"),
    ("Цой", "Tsoy"),
    ("Узинфоком", "Uzinfocom"),
    # the romanisations of Russian names
    ("Khasanov", "Xasanov"),
    ("Xasanov", "Hasanov"),
    ("Хасанов", "Khasanov"),
    ("Yuriy Kuznetsov", "Iuriy Kuznetsov"),
    ("Yuliya", "Iuliia"),
    ("Mariya", "Maria"),
    ("Zhuravlev", "Juravlev"),
    ("Журавлев", "Zhuravlev"),
    ("Dzhuraev", "Juraev"),
    ("Джураев", "Djuraev"),
    ("Kuznetsov", "Kuznecov"),
    ("Tsoy", "Coy"),
]


def found(model_search, text):
    return list(model_search(text))


@pytest.mark.parametrize(("stored", "typed"), SAME + [(b, a) for a, b in SAME])
def test_a_spelling_finds_its_other_spellings(stored, typed):
    """Whole names, so each pair is tried both ways; a part of a name is
    found as a part of its key (``test_a_part_of_a_name_finds_it``)."""
    organisation = OrganisationFactory(name=stored, acronym="")
    OrganisationFactory(name="Aziz Karimov", acronym="")

    assert list(Organisation.objects.search(typed)) == [organisation]
    # Python's keys say the same.
    assert any(form in search_key(stored) for form in search_terms(typed))


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        # k is not ts, nor s
        ("Koyliev", "Tsoy"),
        ("Tsoy", "Koy"),
        ("Sasha", "Kasha"),
        # no digraph across two words: "Aziz Hamidov" has no zh
        ("Aziz Hamidov", "Azij"),
        # a short term is no guess at the letters after it
        ("Hasanov", "k"),
        ("Sobirov", "t"),
        ("Yakubov", "i"),
        ("Yusupov", "i"),
        ("Charos", "c"),
        # letters the rules keep apart
        ("Oʻzbekiston", "Uzbekistan"),
        ("Sergey", "Sergei"),
        ("Evgeniy", "Yevgeniy"),
        ("Журавлёв", "Zhuravlev"),
        # a term never spans two fields
        ("Ministry of Health", "healthmoh"),
    ],
)
def test_over_folding_finds_nothing(stored, typed):
    OrganisationFactory(name=stored, acronym="MoH")

    assert not Organisation.objects.search(typed).exists()


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi", "Sog'liqni"),
        ("Ўзбекистон Республикаси Соғлиқни сақлаш вазирлиги", "Sog‘liqni saqlash"),
        ("O'zbekiston Respublikasi Sog'liqni saqlash vazirligi", "Соғлиқни"),
        ("Unified Integrator (UZINFOCOM)", "Узинфоком"),
        ("Khasanov Timur Akmalovich", "Хасанов"),
        ("Кузнецов Юрий Петрович", "Kuznecov Yu"),
        ("Юлия Ильина", "Iuliia"),
        ("Джураев Хасан", "Dzhuraev"),
    ],
)
def test_a_part_of_a_name_finds_it(stored, typed):
    organisation = OrganisationFactory(name=stored, acronym="")
    OrganisationFactory(name="Aziz Karimov", acronym="")

    assert list(Organisation.objects.search(typed)) == [organisation]


def test_a_term_stopped_inside_a_digraph_finds_the_names_going_on_with_it():
    mikhail = OrganisationFactory(name="Mikhail Sobirov", acronym="")
    mixail = OrganisationFactory(name="Михаил Собиров", acronym="")
    kuznetsov = OrganisationFactory(name="Кузнецов", acronym="")
    iuliia = OrganisationFactory(name="Iuliia", acronym="")
    uzinfokom = OrganisationNameFactory(name="Узинфоком").organisation
    OrganisationFactory(name="Mila Tarasova", acronym="")

    assert set(Organisation.objects.search("Mik")) == {mikhail, mixail}
    assert set(Organisation.objects.search("Kuznet")) == {kuznetsov}
    assert set(Organisation.objects.search("Юли")) == {iuliia}
    assert set(Organisation.objects.search("Uzinfoc")) == {uzinfokom}

"""Names compared across scripts: the one normalisation of the project.

A name is written in Cyrillic or Latin letters, in either of the Uzbek and
Russian transliterations, with quotes and punctuation as its writer pleases:
"«Узинфоком»", "UZINFOCOM" and "Uzinfokom" are one organisation, "Иванов
Иван" and "Ivan Ivanov" one person. Every comparison of two names goes
through the keys here:

- ``name_key``: letters and digits in lower-case ASCII (Cyrillic by the Uzbek
  schema of iuliia, everything else by anyascii);
- ``loose_key``: ``name_key`` with the letters transliterations disagree on
  folded together (kh/x/h, q/k, ...);
- ``person_key``: the folded words of a person's name in sorted order;
- ``fuzzy_form``: the folded words in their order, for rapidfuzz;
- ``Vocabulary``: the words of the fuzzy forms on record, to correct a
  name's typos word by word ("ministry of helth" is "ministry of health").

An import compares the sheet's few hundred spellings with every spelling on
record (hundreds of thousands at national scale), so those are keyed all at
once (``name_keys``, ``loose_keys``, ``fuzzy_forms``) and as cheaply as the
rules allow: ASCII text needs no normalisation, transliteration or anyascii,
and the Uzbek schema maps letter by letter, so it is a ``str.translate``
table. The keys are the same as applying each rule in turn
(tests/meetings/test_import_matching.py).

The search keys are these letters too: ``search_key`` is what the database
stores for a searchable record (``core/search.py``), ``search_terms`` what a
typed term is looked for as; for a name in Cyrillic and Latin letters a
key's first line is its ``loose_key``.

Not here: the case-insensitive unique constraints, which compare text as the
database's ``lower()`` does (``core/sqlite.py``).
"""

import re
import string
import unicodedata
from collections import Counter
from functools import lru_cache

import iuliia
from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_WORD = re.compile(r"[a-z0-9]+")

# The folds: the letters Latin spellings of Uzbek and Russian names disagree
# on, folded together in lower-case ASCII. Узинфоком is written Uzinfocom,
# Хасанов Xasanov or Khasanov, Журавлёв Zhuravlev or Juravlyov, Юлия Yuliya
# or Iuliia, КфВ KfW. Each replaces every occurrence of its letters, in this
# order, as SQL's REPLACE() does: the same steps run in a database
# (``core.search``) give the same key. Within a word only: a search key is
# folded before its spaces and punctuation are dropped ("Aziz Hamidov" has
# no "zh").
FOLDS = (
    ("zh", "j"),  # ж: zh, j
    ("dj", "j"),  # дж: dzh (zh above), dj, j
    ("kh", "h"),  # х: kh, x, h; ҳ: h
    ("x", "h"),
    ("ck", "k"),  # к, қ: k, q, ck; c below
    ("q", "k"),
    ("ph", "f"),
    ("w", "v"),
    ("ts", "s"),  # ц: ts, s (the Uzbek schema's), c below
    ("ia", "ya"),  # я: ya, ia
    ("iu", "yu"),  # ю: yu, iu
    ("iya", "ya"),  # ия, ию: Mariya, Mariia, Maria
    ("iyu", "yu"),
    # ч: its c is not the c below. "x" is free here (folded to h above) and
    # becomes "ch" again last.
    ("ch", "x"),
)
# A lone c is k in English spellings (Uzinfocom) and ts in the scholarly
# romanisation of Russian (Kuznecov): a key holds both readings where the
# text has a c (``search_key``), and the import reads it as k.
C_READINGS = ("k", "s")
CH_KEPT = ("x", "ch")


def _fold_all(text):
    """``text`` (lower-case ASCII) with every fold but the c's."""
    for old, new in FOLDS:
        text = text.replace(old, new)
    return text


def _reading(folded, c):
    """A text ``_fold_all`` folded, its lone c read as ``c``."""
    return folded.replace("c", c).replace(*CH_KEPT)


def _translit_table():
    """iuliia's Uzbek schema as a ``str.translate`` table of the Cyrillic
    block, or None when the schema is not letter by letter (it then has to be
    run as it is).

    The schema translates each letter on its own (no rules for a letter's
    neighbours or a word's ending), so translating each Cyrillic letter alone
    gives its table; the schema's own samples check that."""
    table = {code: iuliia.UZ.translate(chr(code)) for code in range(0x0400, 0x0500)}
    for source, expected in iuliia.UZ.samples:
        if _CYRILLIC_RUN.sub(lambda run: run.group().translate(table), source) != (
            expected
        ):
            return None
    return table


_CYRILLIC_RUN = re.compile("[\u0400-\u04ff]+")
_NON_ASCII_RUN = re.compile("[^\x00-\x7f]+")
_TRANSLIT = _translit_table()


def _transliterate(text):
    """``iuliia.UZ.translate(text)``; the table is applied to the runs of
    Cyrillic letters only (``str.translate`` is slow on every other
    character)."""
    if _TRANSLIT is None:
        return iuliia.UZ.translate(text)
    return _CYRILLIC_RUN.sub(lambda run: run.group().translate(_TRANSLIT), text)


def _anyascii(text):
    """``anyascii(text)``, which goes letter by letter in Python: applied to
    the runs of non-ASCII letters only."""
    return _NON_ASCII_RUN.sub(lambda run: anyascii(run.group()), text)


def _ascii(text):
    """``text`` in ASCII: NFKC-normalised, Cyrillic transliterated by the
    Uzbek (UZ) schema, everything else by anyascii."""
    if text.isascii():
        # NFKC, the schema and anyascii leave ASCII as it is.
        return text
    text = unicodedata.normalize("NFKC", text)
    if _CYRILLIC.search(text):
        text = _transliterate(text)
    return _anyascii(text)


def _words(text):
    """The words of ``text`` in lower-case ASCII (see ``_ascii``);
    punctuation, quotes («», “”) and spacing dropped."""
    return _WORD.findall(_ascii(text).lower())


# Every byte but ASCII letters and digits.
_NOT_WORD_BYTES = bytes(
    set(range(256))
    - set(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
)


@lru_cache(maxsize=100_000)
def _fold(word):
    # Names on record share most of their words: one fold per word. The
    # import reads a c as k (the first reading).
    return _reading(_fold_all(word), C_READINGS[0])


def _name_key(text):
    # "".join(_words(text)), a few times faster.
    return (
        _ascii(text).encode("ascii").translate(None, _NOT_WORD_BYTES).lower()
    ).decode("ascii")


# Between the texts ``name_keys`` keys at once: a control character, which
# NFKC, the schema and anyascii leave as it is and which combines with nothing.
_SEPARATOR = "\x01"
_KEY_BYTES = bytes(set(_NOT_WORD_BYTES) - {ord(_SEPARATOR)})


def name_keys(texts):
    """``[_name_key(text) for text in texts]`` for the hundreds of thousands
    of spellings on record: each step (NFKC, the schema's table, anyascii,
    dropping what is not a letter or digit, lower case) goes character by
    character once the texts are split by ``_SEPARATOR``, so each runs once
    over all the texts joined (the ASCII ones, which need only the last two,
    apart)."""
    texts = list(texts)
    is_ascii = [text.isascii() for text in texts]
    keys = [""] * len(texts)
    for ascii_group in (True, False):
        positions = [i for i, flag in enumerate(is_ascii) if flag is ascii_group]
        joined = _SEPARATOR.join(texts[i] for i in positions)
        found = None
        if _TRANSLIT is not None and joined.count(_SEPARATOR) == len(positions) - 1:
            found = (
                (joined if ascii_group else _ascii(joined))
                .encode("ascii")
                .translate(None, _KEY_BYTES)
                .lower()
                .decode("ascii")
                .split(_SEPARATOR)
            )
        if found is None or len(found) != len(positions):
            # A text holding the separator, or the iuliia schema run as it is.
            found = [_name_key(texts[i]) for i in positions]
        for i, key in zip(positions, found, strict=True):
            keys[i] = key
    return keys


def _loose_key(text):
    return "".join(map(_fold, _words(text)))


def _fuzzy_form_of(text):
    return " ".join(map(_fold, _words(text)))


@lru_cache(maxsize=10_000)
def name_key(text):
    """Key under which two spellings of an organisation's name are the same:
    ``name_key("«Узинфоком»") == name_key("uzinfokom")``."""
    return _name_key(text)


@lru_cache(maxsize=10_000)
def loose_key(text):
    """``name_key`` with the letters transliterations disagree on folded
    together: ``loose_key("Узинфоком") == loose_key("UZINFOCOM")``."""
    return _loose_key(text)


def loose_keys(texts):
    """``[loose_key(text) for text in texts]``, bypassing its cache: for every
    spelling on record, which would only churn it."""
    return [_loose_key(text) for text in texts]


@lru_cache(maxsize=10_000)
def fuzzy_form(text):
    """The words of ``text`` folded as in ``loose_key``, joined by spaces:
    what rapidfuzz compares when a name matches no key."""
    return _fuzzy_form_of(text)


def fuzzy_forms(texts):
    """``[fuzzy_form(text) for text in texts]``, bypassing its cache (see
    ``loose_keys``)."""
    return [_fuzzy_form_of(text) for text in texts]


@lru_cache(maxsize=100_000)
def person_key(text):
    """Key of a person's name: word order, script and case do not matter, so
    "Иванов Иван" and "Ivan Ivanov" are the same name."""
    return " ".join(sorted(map(_fold, _words(text))))


def typo_distance(word):
    """How many letters (Damerau–Levenshtein: an insertion, a deletion, a
    change, two neighbours swapped) ``word`` may differ from a word on record
    by and still be a typo of it: none below 4 letters ("of", "un": a letter
    makes another word), one up to 7, two from 8."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


class Vocabulary:
    """The words of ``forms`` (``fuzzy_form``s of the names on record), to
    correct the typos of a name that matches none of them.

    A word is compared only with the words of its block, not with every word
    on record: those of a length it may reach by its typo distance and of the
    same first letter, or of the same last letter. One typo cannot change
    both ends of a word of 4 letters or more, so for the words of 4-7 letters
    nothing is missed; a word of 8 or more whose two typos change both its
    ends is not corrected."""

    def __init__(self, forms):
        self.counts = Counter(word for form in forms for word in form.split())
        self.by_first = {}
        self.by_last = {}
        self.corrected = {}
        for word in self.counts:
            if typo_distance(word):
                self.by_first.setdefault((len(word), word[0]), []).append(word)
                self.by_last.setdefault((len(word), word[-1]), []).append(word)

    def correct_word(self, word):
        """``word``, or the word on record it is a typo of: the nearest, the
        most frequent of the nearest, the first of those alphabetically."""
        limit = typo_distance(word)
        if not limit or word in self.counts:
            return word
        if word in self.corrected:
            return self.corrected[word]
        best = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            for block in (
                self.by_first.get((length, word[0]), ()),
                self.by_last.get((length, word[-1]), ()),
            ):
                # Compared in C, a block at a time: those within the limit.
                for candidate, distance, _index in process.extract(
                    word,
                    block,
                    scorer=DamerauLevenshtein.distance,
                    score_cutoff=limit,
                    limit=None,
                ):
                    rank = (distance, -self.counts[candidate], candidate)
                    best = min(best, rank) if best else rank
        self.corrected[word] = corrected = best[2] if best else word
        return corrected

    def correct(self, form):
        """A fuzzy form with each word that is a typo of a word on record
        replaced by that word."""
        return " ".join(map(self.correct_word, form.split()))


# The search key: what ``core.search`` stores of each searchable field (the
# database computes it on every write) and how a typed term is compared with
# it. The same letters as ``loose_key``, by steps a database can run: lower
# case; the letters below spelt in ASCII as ``name_key`` spells them (one
# character at a time, a table); the folds, within each word; the spaces and
# punctuation dropped; and a line for each reading of a lone c. For a name in
# Latin and Cyrillic letters, quotes, dashes and spaces its first line is its
# ``loose_key`` (tests/core/test_search_key.py), so the search finds what the
# import matches. Another character (Greek, Chinese, a symbol) stays as
# ``lower()`` leaves it.
#
# The stored keys were computed by these rules: change one and bump
# SEARCH_KEY_VERSION, which makes a migration that computes every key again.
SEARCH_KEY_VERSION = 1

# A letter and a combining mark that NFKC would compose into one of the
# letters below (й, ё, ў, ї); other combining marks are dropped, as the
# letter they follow is spelt without its accent anyway.
KEY_COMBINED = (
    ("и\u0306", "й"),
    ("е\u0308", "ё"),
    ("у\u0306", "ў"),
    ("і\u0308", "ї"),
)
# Russian, Uzbek, Kazakh, Ukrainian, Tajik and Kyrgyz Cyrillic, lower case,
# and the Latin letters with diacritics (Latin-1 and Extended-A).
_KEY_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяўқғҳәңөұүһіїєґӣӯҷ" + "".join(
    chr(code) for code in range(0xDF, 0x180) if chr(code).islower()
)
# Apostrophes, quotes, dashes and spaces beyond ASCII, invisible marks, and
# combining accents.
_KEY_MARKS = (
    "ʻʼʹˈ‘’‛´′″«»“”„‟‚‹›‐‑‒–—―−№…•·\u00a0\u00ad"
    + "".join(map(chr, range(0x2000, 0x200E)))
    + "\u202f\u205f\u2060\u3000\ufeff"
    + "".join(map(chr, range(0x0300, 0x0370)))
)


def _key_table():
    """{character: its ASCII spelling} for the characters above: ``_ascii``'s
    (the Uzbek schema, anyascii), lower-cased; a spelling of punctuation
    alone is one space, which the folds stop at like the original. Python
    ends a Greek word with ς where a database's ``lower()`` writes σ."""
    table = {"ς": "σ"}
    for character in _KEY_LETTERS + _KEY_MARKS:
        spelt = _ascii(character).lower()
        if spelt and not any(c.isalnum() for c in spelt):
            spelt = " "
        if spelt != character:
            table[character] = spelt
    return table


KEY_TABLE = _key_table()
_KEY_TRANSLATION = str.maketrans(KEY_TABLE)
# ASCII punctuation, spaces and control characters, dropped once folded.
KEY_DROPPED = string.punctuation + "".join(chr(code) for code in (*range(1, 32), 127))
_KEY_DROP = str.maketrans("", "", KEY_DROPPED + " ")
# Whether a text (lower-cased) may have a lone c once spelt and folded: a c
# not before h, or a letter spelt with a c. Its key then has both readings
# (a duplicate line when its c went into "ck" or "ch" after all). A regular
# expression that PostgreSQL reads alike.
KEY_HAS_C = "c(?!h)|[{}]".format(
    "".join(sorted(c for c, spelt in KEY_TABLE.items() if re.search("c(?!h)", spelt)))
)
_HAS_C = re.compile(KEY_HAS_C)
# Shorter than this, a folded term is compared as typed: no second reading
# of its c, no guess at the letter after its last (see ``search_terms``).
SHORT_TERM = 3


def _key_spelt(text):
    """``text`` lower-cased, its decomposed letters composed (the table of
    spellings comes next)."""
    text = text.lower()
    for old, new in KEY_COMBINED:
        text = text.replace(old, new)
    return text


def _key_line(text):
    lowered = _key_spelt(text)
    folded = _fold_all(lowered.translate(_KEY_TRANSLATION)).translate(_KEY_DROP)
    if not _HAS_C.search(lowered):
        return _reading(folded, C_READINGS[0])
    return "\n".join(_reading(folded, c) for c in C_READINGS)


def search_key(*texts):
    """The search key of a record's ``texts`` (its name, acronym...): each
    one's key, one a line (both readings of a lone c on two lines), so that
    a term never matches across two of them. What the database stores (see
    ``core.search.SearchKey``): ``search_key("Узинфоком", "UZINFOCOM")`` is
    three lines, "uzinfokom", then "uzinfokom" and "uzinfosom"."""
    return "\n".join(_key_line(text or "") for text in texts)


def _term_readings(spelt):
    folded = _fold_all(spelt).translate(_KEY_DROP)
    if "c" not in folded:
        return [_reading(folded, C_READINGS[0])]
    return [_reading(folded, c) for c in C_READINGS]


# The folds of two letters or more, and each of their beginnings: a term
# ending with one may stop inside the letters the stored text goes on with
# ("Mik" of "Mikhail", whose key has "mih").
_COMPLETIONS = tuple(
    (old[:cut], old[cut:]) for old, _new in FOLDS for cut in range(1, len(old))
)


def search_terms(term):
    """What a typed ``term`` is looked for as in the search keys: a key has
    any of these, or the term finds nothing (``[]`` for a term with no letter
    or digit).

    The term's key, both readings of a lone c, and, where the term ends with
    the beginning of a fold's letters ("Mik", "Kuznet", "Yuli"), the key it
    has when those letters go on ("mih", "kuznes", "yulya"). None of these
    for a term whose key is shorter than SHORT_TERM: "k" is not taken for the
    "h" of "kh". Those that contain another are left out: the other finds
    them."""
    spelt = _key_spelt(term).translate(_KEY_TRANSLATION)
    found = _term_readings(spelt)
    if len(found[0]) < SHORT_TERM:
        return found[:1] if found[0] else []
    for start, rest in _COMPLETIONS:
        if spelt.endswith(start):
            found += _term_readings(spelt + rest)
    found = set(found)
    return sorted(
        term
        for term in found
        if not any(other != term and other in term for other in found)
    )

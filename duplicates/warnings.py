"""The records a new organisation or person may duplicate, shown on the add
form before it is saved (saving anyway is allowed).

The database's search (``core.search``: any script, any spelling) finds the
candidates; the few it finds are then compared in Python with the keys
``duplicates.finder`` pairs records by, so that the warning and the finder
give the same reasons. Two searches of the words of the name (folded as
``fuzzy_form`` folds them; words with fewer than three letters, "of", are not
searched), in the search keys of an organisation (its name and acronym) and
of its other names, or of a person (name and email):

- every word together, in any order: the same name in another script or
  word order, and an acronym typed as a name ("Узинфоком" for UZINFOCOM);
- every word but one (``_one_word_apart``): a typo in that word ("Aziz
  Karinov" for Aziz Karimov). Not for a name of one word. For a person,
  only when nobody has the name already.

A typed acronym is searched on its own, an email compared ignoring case; a
person is found by a phone number only beside a name. Each search is cut to
the ``CANDIDATES`` shortest names.

The words are searched together, so that the index narrows the search: a
word in every name ("Sample" in the generated data, in all 500,000 people)
no longer has every record that has it read and sorted by length, as when
each word was searched alone (PostgreSQL XL, the benchmark's four warnings:
107-181 ms before, 7-24 ms after; docs/performance.md).
"""

from django.db.models import (
    Case,
    IntegerField,
    Prefetch,
    Q,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Least, Length

from core.names import (
    fuzzy_form,
    loose_key,
    person_key,
    search_terms,
    typo_distance,
)
from core.search import TRIGRAM, Terms
from stakeholders.models import Organisation, OrganisationName, Person

from .finder import SIMILAR, phone_key, similarity, words_alike
from .models import Reason

CANDIDATES = 50
SHOWN = 10
# So many other words leave few names (see _one_word_apart).
NARROW = 3


def _indexed(text):
    """Whether the search index looks ``text`` up: every form it is searched
    as (``core.names.search_terms``) has a trigram. A shorter term is tested
    on every row (``core.search.Includes``): a read of the whole table."""
    forms = search_terms(text)
    return bool(forms) and all(len(form) >= TRIGRAM for form in forms)


def _words(name):
    """The folded words of ``name`` (``fuzzy_form``) the index looks up, once
    each ("of", "Li" are not searched), the longest first and, of as long,
    the last typed first.

    PostgreSQL's GIN scan of several LIKE patterns costs far less with the
    commonest last (measured, not read in its code): PostgreSQL XL, "Sample"
    in every generated name, "Sample Danila Sisoev" 10.1 ms as typed, 1.2 ms
    as "Sisoev Danila Sample"; "Sample Johnson" 60 / 28 ms. Which word is
    the commonest is not known here: a longer word is usually the rarer."""
    words = []
    for word in fuzzy_form(name or "").split():
        if word not in words and _indexed(word):
            words.append(word)
    return sorted(words, key=lambda word: (len(word), words.index(word)), reverse=True)


def _ends(word):
    """The beginning and the end of ``word``, each of (len - 1) // 2 letters
    and at least three (a trigram): one typo (a letter added, dropped or
    changed, two swapped) leaves one of them whole in a word of seven
    letters or more; in a shorter word, a typo that leaves its first or last
    three letters ("Azis" for Aziz, not "Asiz")."""
    half = max(TRIGRAM, (len(word) - 1) // 2)
    return [end for end in dict.fromkeys([word[:half], word[-half:]]) if _indexed(end)]


def _includes(terms):
    """The records whose search key has ``terms`` (a term or
    ``core.search.Terms``): one lookup, which SQLite reads its index for
    once (see ``Terms``)."""
    return Q(search_key__includes=terms)


def _all_words(words):
    """The records whose search key has every word of ``words``: the same
    name in any script, any word order, or within a longer name."""
    return _includes(Terms.every(*words)) if words else None


def _one_word_apart(words):
    """The records a typo in one of ``words`` away, as one condition: for
    each word a typo may be in (``typo_distance``), those whose search key
    has every other word and, when the others are fewer than ``NARROW`` (a
    person's name), that word's beginning or end (``_ends``). Three words or
    more leave few names (an organisation's); one or two may leave
    thousands, of which the ``CANDIDATES`` shortest would be any. None for a
    name of one word: any name with its beginning or end would do."""
    arms = []
    for index, word in enumerate(words):
        others = words[:index] + words[index + 1 :]
        ends = _ends(word) if typo_distance(word) else []
        if not others or not ends:
            continue
        if len(others) < NARROW:
            others.append(Terms.any(*ends))
        arms.append(Terms.every(*others))
    return _includes(Terms.any(*arms)) if arms else None


def _organisations(condition):
    """The organisations whose own search key, or one of whose other names',
    meets ``condition``: a union of ids, each part read from its search
    index. As an OR of the two, PostgreSQL reads every organisation to test
    its own key beside the other names' set (PostgreSQL XL: 51 ms for the
    words of "Sample Department of Pharmaceuticals of SFA36479 50000",
    against 2 in its own index)."""
    own = Organisation.objects.filter(condition).order_by().values("pk")
    other_names = OrganisationName.objects.filter(condition).order_by()
    return Organisation.objects.filter(
        pk__in=own.union(other_names.values("organisation"), all=True)
    )


def likely_organisations(name, acronym="", email="", *, exclude=None):
    """``[(organisation, [reasons])]``, the likeliest first, at most SHOWN."""
    name_k, acronym_k = loose_key(name or ""), loose_key(acronym or "")
    form = fuzzy_form(name or "")
    shortest = Least(
        Length("name"),
        Case(
            When(acronym="", then=Value(10_000)),
            default=Length("acronym"),
            output_field=IntegerField(),
        ),
    )
    other_names = Prefetch(
        "other_names",
        queryset=OrganisationName.objects.only("organisation", "name"),
        to_attr="names_for_duplicates",
    )
    words = _words(name)
    searches = [_all_words(words), _one_word_apart(words)]
    if acronym and _indexed(acronym):
        searches.append(_includes(acronym.strip()))
    candidates = {}
    for condition in filter(None, searches):
        found = (
            _organisations(condition)
            .alias(shortest=shortest)
            .order_by("shortest", "pk")
            .only("pk", "name", "acronym", "email", "is_active")
        )
        for organisation in found[:CANDIDATES]:
            candidates.setdefault(organisation.pk, organisation)
    if email:
        for organisation in Organisation.objects.filter(email__iexact=email.strip())[
            :CANDIDATES
        ]:
            candidates.setdefault(organisation.pk, organisation)
    candidates.pop(getattr(exclude, "pk", None), None)
    if not candidates:
        return []
    # Their other names: one query for all of them.
    prefetch_related_objects(list(candidates.values()), other_names)
    results = []
    for organisation in candidates.values():
        their_name = loose_key(organisation.name)
        their_others = {loose_key(o.name) for o in organisation.names_for_duplicates}
        their_acronym = loose_key(organisation.acronym or "")
        reasons = set()
        if name_k and name_k == their_name:
            reasons.add(Reason.SAME_NAME)
        if name_k and name_k in their_others:
            reasons.add(Reason.OTHER_NAME)
        if (name_k and name_k == their_acronym) or (
            acronym_k and acronym_k in their_others | {their_name}
        ):
            reasons.add(Reason.ACRONYM)
        if email and organisation.email.strip().lower() == email.strip().lower():
            reasons.add(Reason.EMAIL)
        if (
            not reasons
            and form
            and similarity(form, fuzzy_form(organisation.name)) >= SIMILAR
        ):
            reasons.add(Reason.SIMILAR_NAME)
        if reasons:
            results.append((organisation, sorted(reasons)))
    results.sort(key=lambda item: (-len(item[1]), item[0].name.casefold()))
    return results[:SHOWN]


def likely_people(full_name, email="", phone="", *, exclude=None):
    """``[(person, [reasons])]``, the likeliest first, at most SHOWN."""
    key = person_key(full_name or "")
    phone_k = phone_key(phone)
    words = _words(full_name)
    excluded = getattr(exclude, "pk", None)
    candidates = {}
    for condition in [_all_words(words), _one_word_apart(words)]:
        if condition is None:
            continue
        if any(
            pk != excluded and person_key(person.full_name) == key
            for pk, person in candidates.items()
        ):
            # Someone has the name already: the names a typo away, which
            # cost more to look for (PostgreSQL XL, "Sample Bibisora
            # Sardorov": 34 ms against 9 for its words together), are left
            # to find_duplicates.
            break
        found = (
            Person.objects.filter(condition)
            .alias(length=Length("full_name"))
            .order_by("length", "pk")
            .only("pk", "full_name", "email", "phone")
        )
        for person in found[:CANDIDATES]:
            candidates.setdefault(person.pk, person)
    for person in Person.objects.with_email(email)[:1]:
        candidates.setdefault(person.pk, person)
    candidates.pop(excluded, None)
    results = []
    for person in candidates.values():
        reasons = set()
        theirs = person_key(person.full_name)
        if key and key == theirs:
            reasons.add(Reason.SAME_NAME)
        elif key and similarity(key, theirs) >= SIMILAR and words_alike(key, theirs):
            reasons.add(Reason.SIMILAR_NAME)
        if email and person.email.lower() == email.strip().lower():
            reasons.add(Reason.EMAIL)
        if phone_k and phone_key(person.phone) == phone_k:
            reasons.add(Reason.PHONE)
        if reasons:
            results.append((person, sorted(reasons)))
    results.sort(key=lambda item: (-len(item[1]), item[0].full_name.casefold()))
    return results[:SHOWN]

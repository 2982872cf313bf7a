"""The records a new organisation or person may duplicate, shown on the add
form before it is saved (saving anyway is allowed).

The database's search (``core.search``: any script, any spelling) finds the
records whose names contain what was typed; the few it finds are then
compared in Python with the keys ``duplicates.finder`` pairs records by, so
that the warning and the finder give the same reasons. A search of the
whole name finds the same name in another script and an acronym typed as a
name ("Узинфоком" for UZINFOCOM); a search of its longest word (of each
word, for a person's name, whose words come in any order) finds the names a
typo away. A person is found by a phone number only beside a name. Each
search is cut to the ``CANDIDATES`` shortest names (the closest to what was
typed), so the warning costs a few indexed reads whatever the number of
records.
"""

from django.db.models import (
    Case,
    IntegerField,
    Prefetch,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Least, Length
from rapidfuzz import fuzz

from core.names import fuzzy_form, loose_key, name_key, person_key
from stakeholders.models import Organisation, OrganisationName, Person

from .finder import SIMILAR, phone_key, words_alike
from .models import Reason

CANDIDATES = 50
SHOWN = 10


def _longest_word(text):
    words = fuzzy_form(text).split()
    return max(words, key=len) if words else ""


def _terms(*texts):
    terms = []
    for text in texts:
        text = (text or "").strip()
        if len(name_key(text)) >= 3 and text not in terms:
            terms.append(text)
    return terms


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
    candidates = {}
    for term in _terms(name, acronym, _longest_word(name or "")):
        found = (
            Organisation.objects.search(term)
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
            and fuzz.ratio(form, fuzzy_form(organisation.name)) >= SIMILAR
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
    candidates = {}
    # Each word apart: the same name in another order, and a typo in one.
    for term in _terms(*fuzzy_form(full_name or "").split()):
        found = (
            Person.objects.search(term)
            .alias(length=Length("full_name"))
            .order_by("length", "pk")
            .only("pk", "full_name", "email", "phone")
        )
        for person in found[:CANDIDATES]:
            candidates.setdefault(person.pk, person)
    for person in Person.objects.with_email(email)[:1]:
        candidates.setdefault(person.pk, person)
    candidates.pop(getattr(exclude, "pk", None), None)
    results = []
    for person in candidates.values():
        reasons = set()
        theirs = person_key(person.full_name)
        if key and key == theirs:
            reasons.add(Reason.SAME_NAME)
        elif key and fuzz.ratio(key, theirs) >= SIMILAR and words_alike(key, theirs):
            reasons.add(Reason.SIMILAR_NAME)
        if email and person.email.lower() == email.strip().lower():
            reasons.add(Reason.EMAIL)
        if phone_k and phone_key(person.phone) == phone_k:
            reasons.add(Reason.PHONE)
        if reasons:
            results.append((person, sorted(reasons)))
    results.sort(key=lambda item: (-len(item[1]), item[0].full_name.casefold()))
    return results[:SHOWN]

"""Finding records that may be one organisation or one person, never by
comparing every pair.

Each record is filed under its keys, the project's one name normalisation
(``core.names``: scripts, apostrophes, transliterations folded together),
and records sharing a key are paired, with the key's kind as the reason:

- organisations: a name (``loose_key``) equal to another's name, to one of
  its other names, or to its acronym; the same identifier value (under
  another scheme: one scheme's values are unique already); the same email;
- people: the same name in any script and word order (``person_key``); the
  same phone number (its last nine digits);
- both: a similar name, by rapidfuzz's ratio of the folded words, compared
  only with the few names next to it in two sorted orders (the names, and
  the names read backwards, so a typo at either end is still next to its
  original): the sorted-neighbourhood method, n x WINDOW comparisons. Names
  whose numbers differ ("School No. 12", "School No. 13") are never similar.

A key shared by more than ``COMMON`` organisations or ``PERSON_COMMON``
people ("Aziz Karimov" at national scale) pairs nobody on its own: those
pairs would be thousands and mostly different people. It is still a reason
added to a pair another key found. People named alike who hold positions in
the same organisation get that as a reason too, read for the paired people
only.
"""

import re
from collections import Counter, defaultdict
from itertools import combinations

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from core.names import (
    fuzzy_forms,
    loose_keys,
    name_keys,
    person_key,
    typo_distance,
)

from .models import Reason

# How much each reason alone says (0-100); each further reason adds BONUS.
WEIGHTS = {
    Reason.IDENTIFIER: 95,
    Reason.EMAIL: 90,
    Reason.SAME_NAME: 80,
    Reason.OTHER_NAME: 80,
    Reason.ACRONYM: 75,
    Reason.PHONE: 70,
}
# People share names far more often than organisations do.
PERSON_SAME_NAME = 65
BONUS = 5
SAME_ORGANISATION_BONUS = 15
# A key shared by more records than this pairs nobody on its own. People
# share names far more often than organisations: at national scale a name
# held by four people is four people, and 500,000 generated people paired
# within names held by up to 12 gave a million pairs to review.
COMMON = 12
PERSON_COMMON = 3
# Similar names: compared with this many neighbours in each sorted order,
# paired from this rapidfuzz ratio (0-100) up; the score is the ratio less
# SIMILAR_DISCOUNT (a 92 % similar name scores 72).
WINDOW = 4
SIMILAR = 90
SIMILAR_DISCOUNT = 20

_DIGITS = re.compile(r"\d+")


class Found:
    """The pairs found so far (smaller id first) and why."""

    def __init__(self, common=COMMON):
        self.common = common
        self.reasons = defaultdict(set)
        self.similarity = {}
        # Keys too common to pair on: the groups of ids sharing each.
        self._common = defaultdict(list)
        self._common_groups = 0

    def group(self, ids, reason):
        """Pair every two of ``ids`` (or, for a common key, remember them)."""
        ids = sorted(set(ids))
        if len(ids) < 2:
            return
        if len(ids) > self.common:
            self._common_groups += 1
            for pk in ids:
                self._common[pk].append((self._common_groups, reason))
            return
        for pair in combinations(ids, 2):
            self.reasons[pair].add(reason)

    def cross(self, left, right, reason):
        """Pair each of ``left`` with each of ``right`` (not with itself)."""
        left, right = set(left), set(right)
        if not left or not right:
            return
        if len(left | right) > self.common:
            self.group(left | right, reason)
            return
        for a in left:
            for b in right:
                if a != b:
                    self.reasons[(a, b) if a < b else (b, a)].add(reason)

    def similar(self, a, b, ratio):
        pair = (a, b) if a < b else (b, a)
        self.reasons[pair].add(Reason.SIMILAR_NAME)
        self.similarity[pair] = max(ratio, self.similarity.get(pair, 0))

    def add_common_reasons(self):
        """The common keys a found pair shares, as further reasons."""
        for a, b in self.reasons:
            if a in self._common and b in self._common:
                shared = set(self._common[a]) & set(self._common[b])
                self.reasons[(a, b)].update(reason for _group, reason in shared)

    def scored(self, weights, *, bonus_reasons=()):
        """``(first, second, score, reasons)`` of every pair, reasons sorted."""
        for (a, b), reasons in self.reasons.items():
            base = [weights[r] for r in reasons if r in weights]
            if Reason.SIMILAR_NAME in reasons:
                base.append(self.similarity[(a, b)] - SIMILAR_DISCOUNT)
            score = max(base, default=0) + BONUS * (len(base) - 1)
            score += sum(SAME_ORGANISATION_BONUS for r in reasons if r in bonus_reasons)
            yield a, b, min(100, round(score)), sorted(reasons)


def similarity(form, other):
    """How similar two folded names are (rapidfuzz's ratio, 0-100), 0 when
    their numbers differ: "School No. 12" is not a typo of "School No. 13",
    however alike the rest. The finder's rule and the add form's warning's
    (``duplicates.warnings``)."""
    if _DIGITS.findall(form) != _DIGITS.findall(other):
        return 0
    return fuzz.ratio(form, other)


def _similar_names(found, ids, forms, keys, *, alike=None):
    """Sorted neighbourhood over ``forms`` (the folded words of each name):
    each distinct form compared with the WINDOW forms after it, sorted as
    they are and read backwards, and each record of a form paired with each
    record of a similar one. A name shared by more records than
    ``found.common`` is compared with none: a name a typo away from "Aziz
    Karimov" could be any of them.

    Distinct forms, not records: records named alike would otherwise fill
    the window, and which of them stood next to a similar name would depend
    on the order the records were read in. PostgreSQL reads a table in no
    fixed order (an update moves its row), and from one run to the next 0 to
    498 of the 122,857 pairs of 500,000 people were replaced by others.
    ``alike(form, form)``, if given, must hold too."""
    shared = Counter(keys)
    holders = defaultdict(list)
    for i, form in enumerate(forms):
        if form and shared[keys[i]] <= found.common:
            holders[form].append(i)
    for sort_key in (None, lambda form: form[::-1]):
        order = sorted(holders, key=sort_key)
        for position, form in enumerate(order):
            for other in order[position + 1 : position + 1 + WINDOW]:
                ratio = similarity(form, other)
                if ratio < SIMILAR or (alike is not None and not alike(form, other)):
                    continue
                for i in holders[form]:
                    for j in holders[other]:
                        if keys[i] != keys[j]:
                            found.similar(ids[i], ids[j], ratio)


def words_alike(first, second):
    """Two people's names (``person_key``: folded words, sorted) a typo
    apart: as many words, each equal or a typo of the other
    (``core.names.typo_distance``), but not a name and its feminine form
    (Karimov, Karimova: brother and sister more often than a typo)."""
    first, second = first.split(), second.split()
    if len(first) != len(second):
        return False
    for a, b in zip(first, second, strict=True):
        if a == b:
            continue
        if a + "a" == b or b + "a" == a:
            return False
        if DamerauLevenshtein.distance(a, b) > typo_distance(max(a, b, key=len)):
            return False
    return True


def organisation_pairs(organisations, other_names=(), identifiers=()):
    """The likely duplicates among ``organisations``: ``(id, name, acronym,
    email)`` rows, with ``(organisation id, name)`` of their other names and
    ``(organisation id, value)`` of their identifiers. Yields ``(first,
    second, score, reasons)``."""
    found = Found()
    organisations = list(organisations)
    ids = [row[0] for row in organisations]
    names = [row[1] for row in organisations]
    keys = loose_keys(names)
    # Under each key: who has it as a name, as an other name, as an acronym.
    filed = defaultdict(lambda: {"name": set(), "other": set(), "acronym": set()})
    for pk, key in zip(ids, keys, strict=True):
        if key:
            filed[key]["name"].add(pk)
    other_names = list(other_names)
    for (pk, _name), key in zip(
        other_names, loose_keys(name for _pk, name in other_names), strict=True
    ):
        if key:
            filed[key]["other"].add(pk)
    with_acronym = [(row[0], row[2]) for row in organisations if row[2]]
    for (pk, _acronym), key in zip(
        with_acronym, loose_keys(a for _pk, a in with_acronym), strict=True
    ):
        if key:
            filed[key]["acronym"].add(pk)
    for roles in filed.values():
        found.group(roles["name"], Reason.SAME_NAME)
        found.cross(roles["name"] | roles["other"], roles["other"], Reason.OTHER_NAME)
        found.cross(roles["acronym"], roles["name"] | roles["other"], Reason.ACRONYM)
    identifiers = list(identifiers)
    by_value = defaultdict(set)
    for (pk, _value), key in zip(
        identifiers, name_keys(value for _pk, value in identifiers), strict=True
    ):
        if key:
            by_value[key].add(pk)
    for group in by_value.values():
        found.group(group, Reason.IDENTIFIER)
    by_email = defaultdict(set)
    for pk, _name, _acronym, email in organisations:
        if email:
            by_email[email.strip().lower()].add(pk)
    for group in by_email.values():
        found.group(group, Reason.EMAIL)
    _similar_names(found, ids, fuzzy_forms(names), keys)
    found.add_common_reasons()
    yield from found.scored(WEIGHTS)


def phone_key(phone):
    digits = "".join(_DIGITS.findall(phone or ""))
    return digits[-9:] if len(digits) >= 7 else ""


def person_pairs(people, organisations_of=lambda ids: {}):
    """The likely duplicates among ``people``: ``(id, full name, email,
    phone)`` rows. ``organisations_of(ids)`` gives the organisations each of
    the paired people has held a position in (``{id: set of ids}``). Yields
    ``(first, second, score, reasons)``."""
    found = Found(PERSON_COMMON)
    people = list(people)
    ids = [row[0] for row in people]
    keys = [person_key(row[1]) for row in people]
    by_key = defaultdict(set)
    by_phone = defaultdict(set)
    for (pk, _name, _email, phone), key in zip(people, keys, strict=True):
        if key:
            by_key[key].add(pk)
        if phone := phone_key(phone):
            by_phone[phone].add(pk)
    for group in by_key.values():
        found.group(group, Reason.SAME_NAME)
    for group in by_phone.values():
        found.group(group, Reason.PHONE)
    # Emails are unique ignoring case (person_email_unique_ci): no key here.
    _similar_names(found, ids, keys, keys, alike=words_alike)
    found.add_common_reasons()
    paired = {pk for pair in found.reasons for pk in pair}
    places = organisations_of(paired) if paired else {}
    for (a, b), reasons in found.reasons.items():
        if places.get(a, set()) & places.get(b, set()):
            reasons.add(Reason.SAME_ORGANISATION)
    weights = {**WEIGHTS, Reason.SAME_NAME: PERSON_SAME_NAME}
    yield from found.scored(weights, bonus_reasons={Reason.SAME_ORGANISATION})

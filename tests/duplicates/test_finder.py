"""Which pairs the finder offers, and why: each reason with a pair that is
found and one that is not, across scripts in both directions."""

import pytest

from duplicates.finder import (
    COMMON,
    PERSON_COMMON,
    organisation_pairs,
    person_pairs,
)
from duplicates.models import Reason


def organisations(*rows, other_names=(), identifiers=()):
    """``{(first, second): (score, reasons)}`` of rows ``(id, name, acronym,
    email)``."""
    rows = [(*row, "", "")[:4] for row in rows]
    return {
        (a, b): (score, set(reasons))
        for a, b, score, reasons in organisation_pairs(rows, other_names, identifiers)
    }


def people(*rows, places=None):
    """The same for people: rows ``(id, full name, email, phone)``, with
    ``places``, ``{id: organisation ids}`` of their positions."""
    rows = [(*row, "", "")[:4] for row in rows]
    places = places or {}
    return {
        (a, b): (score, set(reasons))
        for a, b, score, reasons in person_pairs(
            rows, lambda ids: {pk: set(places.get(pk, ())) for pk in ids}
        )
    }


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Uzinfocom", "Узинфоком"),  # Latin first
        ("Узинфоком", "UZINFOCOM"),  # Cyrillic first
        (
            "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi",
            "O'zbekiston Respublikasi Sog'liqni saqlash vazirligi",
        ),
        ("«Ministry of Health»", "ministry of health"),
    ],
)
def test_the_same_name_in_another_script_or_spelling_is_a_pair(first, second):
    found = organisations((1, first), (2, second))
    assert Reason.SAME_NAME in found[(1, 2)][1]
    assert found[(1, 2)][0] >= 80


def test_different_names_are_not_a_pair():
    assert organisations((1, "Ministry of Health"), (2, "Ministry of Finance")) == {}


def test_the_seeds_uzinfocom_typed_again_in_cyrillic_is_found_by_its_acronym():
    found = organisations(
        (
            1,
            "Single Integrator for Creation and Support of State Information Systems",
            "UZINFOCOM",
        ),
        (2, "Узинфоком"),
    )
    assert found[(1, 2)][1] == {Reason.ACRONYM}


def test_an_acronym_equal_to_no_name_pairs_nobody():
    assert (
        organisations((1, "World Health Organization", "WHO"), (2, "Who Knows")) == {}
    )


def test_a_name_equal_to_anothers_other_name_is_a_pair_in_both_directions():
    found = organisations(
        (1, "Ministry of Health"),
        (2, "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi"),
        other_names=[(1, "Ўзбекистон Республикаси Соғлиқни сақлаш вазирлиги")],
    )
    assert found[(1, 2)][1] == {Reason.OTHER_NAME}
    # An other name nobody else bears pairs nobody.
    assert (
        organisations(
            (1, "Ministry of Health"),
            (2, "Ministry of Finance"),
            other_names=[(1, "Sogʻliqni saqlash vazirligi")],
        )
        == {}
    )


def test_the_same_identifier_under_two_schemes_is_a_pair():
    found = organisations(
        (1, "UNICEF"),
        (2, "United Nations Children's Fund"),
        identifiers=[(1, "XM-DAC-41122"), (2, "xm dac 41122")],
    )
    assert found[(1, 2)][1] == {Reason.IDENTIFIER}
    assert (
        organisations(
            (1, "UNICEF"),
            (2, "Another fund"),
            identifiers=[(1, "XM-DAC-41122"), (2, "XM-DAC-41123")],
        )
        == {}
    )


def test_the_same_email_ignoring_case_is_a_pair():
    found = organisations(
        (1, "Digital health office", "", "Office@Example.org"),
        (2, "Office of digital health", "", "office@example.org"),
    )
    assert Reason.EMAIL in found[(1, 2)][1]
    assert (
        organisations(
            (1, "Digital health office", "", "office@example.org"),
            (2, "Another office", "", "other@example.org"),
        )
        == {}
    )


def test_a_typo_is_a_similar_name_but_another_number_is_not():
    found = organisations((1, "Ministry of Health"), (2, "Ministry of Helth"))
    assert found[(1, 2)][1] == {Reason.SIMILAR_NAME}
    assert 70 <= found[(1, 2)][0] < 80
    # A typo in the first letter is still next to its original, read backwards.
    assert (1, 2) in organisations((1, "Ministry of Health"), (2, "Binistry of Health"))
    assert organisations((1, "School No. 12"), (2, "School No. 13")) == {}


def test_records_named_alike_are_each_paired_with_a_similar_name_in_any_order():
    # Six centres of one name (they are paired by it) and one with a typo:
    # each of the six is similar to the seventh, whichever order the rows
    # are read in (PostgreSQL keeps none). When records rather than names
    # stood in the window, only the four read last were.
    alike = [(pk, "Regional Health Centre") for pk in range(1, 7)]
    typo = (7, "Regional Health Centres")
    for rows in (
        [*alike, typo],
        [typo, *reversed(alike)],
        [alike[2], typo, *alike[3:], *alike[:2]],
    ):
        similar = {
            pair
            for pair, (_score, reasons) in organisations(*rows).items()
            if Reason.SIMILAR_NAME in reasons
        }
        assert similar == {(pk, 7) for pk in range(1, 7)}


def test_several_reasons_score_higher_than_one():
    one = organisations((1, "Uzinfocom"), (2, "Узинфоком"))
    two = organisations(
        (1, "Uzinfocom", "", "info@uzinfocom.uz"),
        (2, "Узинфоком", "", "INFO@uzinfocom.uz"),
    )
    assert two[(1, 2)][0] > one[(1, 2)][0]


def test_a_name_too_common_to_pair_on_alone_still_adds_to_another_reason():
    rows = [(pk, "Aziz Karimov") for pk in range(1, PERSON_COMMON + 3)]
    assert people(*rows) == {}
    rows[0] = (1, "Aziz Karimov", "", "+998 90 123 45 67")
    rows[1] = (2, "Азиз Каримов", "", "90 123-45-67")
    found = people(*rows)
    assert set(found) == {(1, 2)}
    assert found[(1, 2)][1] == {Reason.PHONE, Reason.SAME_NAME}


def test_people_named_alike_in_any_order_and_script_are_a_pair():
    found = people(
        (1, "Nodira Xasanova"), (2, "Хасанова Нодира"), (3, "Nodira Karimova")
    )
    assert set(found) == {(1, 2)}
    assert found[(1, 2)][1] == {Reason.SAME_NAME}


def test_a_position_in_the_same_organisation_raises_a_pairs_score():
    rows = [(1, "Nodira Xasanova"), (2, "Хасанова Нодира")]
    apart = people(*rows, places={1: {10}, 2: {11}})
    together = people(*rows, places={1: {10}, 2: {10, 11}})
    assert Reason.SAME_ORGANISATION in together[(1, 2)][1]
    assert Reason.SAME_ORGANISATION not in apart[(1, 2)][1]
    assert together[(1, 2)][0] > apart[(1, 2)][0]


def test_a_name_and_its_feminine_form_are_not_a_typo():
    assert people((1, "Aziz Karimov"), (2, "Aziz Karimova")) == {}
    assert set(people((1, "Aziz Karimov"), (2, "Aziz Karinov"))) == {(1, 2)}


def test_a_name_a_typo_away_from_a_common_one_pairs_with_none_of_its_holders():
    rows = [(pk, "Aziz Karimov") for pk in range(1, PERSON_COMMON + 2)]
    assert people(*rows, (100, "Aziz Karinov")) == {}


def test_an_organisation_name_held_by_a_dozen_still_pairs_them():
    rows = [(pk, "Ministry of Health") for pk in range(1, COMMON + 1)]
    assert len(organisations(*rows)) == COMMON * (COMMON - 1) // 2
    rows.append((100, "Ministry of Health"))
    assert organisations(*rows) == {}

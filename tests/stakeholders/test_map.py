"""The stakeholder map (/map/): access for each role, each filter with an
organisation that matches and one that does not, bad parameters as a 400
naming the field, where a known assessment is drawn, the comparison's arrows,
the cap on marks, the table, the exports (CSV, XLSX, SVG) and a fixed number
of queries whatever the number of organisations."""

import datetime
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from accounts.roles import EDITOR
from core import exports
from stakeholders import map as stakeholder_map
from stakeholders.models import Assessment, OrganisationName
from tests.core.test_exports import of_type, rows_of
from tests.factories import AssessmentFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

MAP = "/map/"
SVG = "http://www.w3.org/2000/svg"
Stance = Assessment.Stance


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def assess(name, *, type="ministry", when=-1, **scores):
    organisation = OrganisationFactory(name=name, type=of_type(type))
    return AssessmentFactory(
        organisation=organisation, assessed_on=days(when), **scores
    )


def marked(response):
    """The organisations the map draws, by the titles of their marks."""
    return sorted(
        re.findall(r"<a href=\"[^\"]+\"><title>([^:<]+):", response.content.decode())
    )


def listed(response):
    return [a.organisation.name for a in response.context["object_list"]]


# Access


@pytest.mark.parametrize(
    "url", [MAP, MAP + "export.csv", MAP + "export.xlsx", MAP + "map.svg"]
)
def test_it_requires_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": [url]}


def test_a_user_without_a_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="nobody"))

    assert client.get(MAP).status_code == 403


@pytest.mark.parametrize("role_name", ["viewer", EDITOR, "administrator"])
def test_every_role_that_reads_sees_the_map(client, django_user_model, role, role_name):
    user = django_user_model.objects.create_user(username=role_name)
    user.groups.add(role(role_name))
    client.force_login(user)
    assess("GIZ", influence=5, interest=5)

    response = client.get(MAP)

    assert response.status_code == 200
    assert marked(response) == ["GIZ"]


def test_the_main_menu_links_to_the_map(user_client):
    response = user_client.get("/")

    assert 'href="/map/"' in response.content.decode()


# What is drawn


def test_a_high_influence_high_interest_organisation_is_in_manage_closely(
    user_client,
):
    assess("GIZ", influence=5, interest=5, stance=Stance.SUPPORTIVE)
    assess("Statistics Agency", influence=1, interest=1, stance=Stance.OPPOSED)

    response = user_client.get(MAP)

    drawing = response.context["map"]
    boxes = {str(q["label"]): q for q in drawing["quadrants"]}

    def inside(mark, box):
        x, y = (
            float(v) for v in re.match(r"M([\d.]+),([\d.]+)", mark["path"]).groups()
        )
        return box["x"] <= x <= box["x"] + box["width"] and (
            box["y"] <= y <= box["y"] + box["height"]
        )

    giz, agency = sorted(drawing["marks"], key=lambda m: m["title"])
    assert str(giz["title"]).startswith("GIZ")
    assert inside(giz, boxes["Manage closely"])
    assert inside(agency, boxes["Monitor"])
    # Stance by colour and by shape: a circle (arcs) and a triangle.
    assert giz["colour"] != agency["colour"]
    assert " 0 1,0 " in giz["path"]
    assert " 0 1,0 " not in agency["path"]
    text = response.content.decode()
    for words in ["Manage closely", "Keep satisfied", "Keep informed", "Monitor"]:
        assert words in text
    assert "Supportive (circle)" in text


def test_only_each_organisations_latest_assessment_is_drawn(user_client):
    old = assess("GIZ", influence=1, interest=1, when=-100)
    new = AssessmentFactory(
        organisation=old.organisation, influence=4, interest=5, assessed_on=days(-1)
    )

    response = user_client.get(MAP)

    assert [a.pk for a in response.context["object_list"]] == [new.pk]
    assert "influence 4, interest 5" in response.content.decode()


def test_marks_sharing_a_cell_do_not_overlap(user_client):
    for n in range(9):
        assess(f"Ministry {n}", influence=3, interest=3)

    response = user_client.get(MAP)

    starts = {m["path"].split("a")[0] for m in response.context["map"]["marks"]}
    assert len(starts) == 9


def test_each_mark_links_to_its_organisation(user_client):
    giz = assess("GIZ", influence=5, interest=5).organisation

    response = user_client.get(MAP)

    assert (
        f'<a href="/organisations/{giz.pk}/"><title>GIZ:' in response.content.decode()
    )


def test_arrows_lead_from_the_compared_days_place(user_client):
    moved = assess("Moved", influence=1, interest=1, when=-100)
    AssessmentFactory(
        organisation=moved.organisation, influence=5, interest=5, assessed_on=days(-1)
    )
    stayed = assess("Stayed", influence=2, interest=2, when=-100)
    AssessmentFactory(
        organisation=stayed.organisation, influence=2, interest=2, assessed_on=days(-1)
    )
    assess("New", influence=3, interest=3, when=-1)

    response = user_client.get(MAP, {"compare": days(-50).isoformat()})

    arrows = response.context["map"]["arrows"]
    assert len(arrows) == 1
    # From the bottom-left cell (low, low) up and right.
    assert arrows[0]["x1"] < arrows[0]["x2"]
    assert arrows[0]["y1"] > arrows[0]["y2"]
    assert 'marker-end="url(#map-arrowhead)"' in response.content.decode()
    assert user_client.get(MAP).context["map"]["arrows"] == []


def test_the_map_draws_at_most_its_cap_and_says_so(user_client, monkeypatch):
    monkeypatch.setattr(stakeholder_map, "MAX_MARKS", 3)
    for n in range(4):
        assess(f"Ministry {n}", influence=3, interest=3)

    response = user_client.get(MAP)

    assert len(response.context["map"]["marks"]) == 3
    assert response.context["more_marks"]
    assert "More organisations match than the map can show" in (
        response.content.decode()
    )
    assert len(listed(response)) == 4


def test_the_mark_names_the_organisation_in_the_readers_language(client, viewer):
    giz = assess("Deutsche Gesellschaft", influence=5, interest=5).organisation
    OrganisationName.objects.create(
        organisation=giz, name="Германское общество", language="ru"
    )
    client.force_login(viewer)

    response = client.get(MAP, headers={"accept-language": "ru"})

    assert "<title>Германское общество:" in response.content.decode()


# Filters


def test_it_filters_by_type(user_client):
    assess("GIZ", type="donor")
    assess("Ministry of Health", type="ministry")

    response = user_client.get(MAP, {"type": "donor"})

    assert listed(response) == ["GIZ"]
    assert marked(response) == ["GIZ"]


def test_it_filters_by_several_types(user_client):
    assess("GIZ", type="donor")
    assess("Ministry of Health", type="ministry")
    assess("UZINFOCOM", type="integrator")

    response = user_client.get(MAP + "?type=donor&type=integrator")

    assert listed(response) == ["GIZ", "UZINFOCOM"]


def test_it_filters_by_the_latest_assessments_date(user_client):
    assess("Recent", when=-5)
    old = assess("Old", when=-400)
    # An old organisation's earlier row is recent? No: its latest is old.
    AssessmentFactory(organisation=old.organisation, assessed_on=days(-500))

    response = user_client.get(MAP, {"assessed_since": days(-30).isoformat()})

    assert listed(response) == ["Recent"]


def test_it_filters_by_the_latest_stance(user_client):
    changed = assess("Changed", stance=Stance.SUPPORTIVE, when=-100)
    AssessmentFactory(
        organisation=changed.organisation, stance=Stance.OPPOSED, assessed_on=days(-1)
    )
    assess("Supportive", stance=Stance.SUPPORTIVE)
    assess("Neutral", stance=Stance.NEUTRAL)

    response = user_client.get(MAP + "?stance=supportive&stance=neutral")

    assert listed(response) == ["Neutral", "Supportive"]


def test_it_filters_by_name(user_client):
    assess("Deutsche GIZ")
    assess("World Bank")

    response = user_client.get(MAP, {"q": "giz"})

    assert listed(response) == ["Deutsche GIZ"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"type": "no-such-type"}, "type"),
        ({"stance": "hostile"}, "stance"),
        ({"assessed_since": "29.13.2025"}, "assessed_since"),
        ({"compare": "tomorrow"}, "compare"),
        ({"compare": "2999-01-01"}, "compare"),
        ({"sort": "password"}, "sort"),
    ],
)
@pytest.mark.parametrize("suffix", ["", "export.csv", "export.xlsx", "map.svg"])
def test_a_bad_parameter_is_a_400_naming_the_field(user_client, query, field, suffix):
    assess("GIZ")

    response = user_client.get(MAP + suffix, query)

    assert response.status_code == 400
    if suffix:
        assert field in response.content.decode()
    else:
        assert list(response.context["filter"].form.errors) == [field]
        assert response.context["map"] is None


# The table


def test_the_table_pages_and_sorts(user_client):
    for n in range(55):
        assess(f"Organisation {n:02}", influence=1 + n % 5, interest=1)

    page_two = user_client.get(MAP, {"page": 2})
    by_influence = user_client.get(MAP, {"sort": "-influence"})

    assert listed(page_two) == [f"Organisation {n:02}" for n in range(50, 55)]
    assert {a.influence for a in by_influence.context["object_list"][:11]} == {5}
    text = page_two.content.decode()
    assert "Quadrant" in text
    assert "Monitor" in text


# Exports


def test_the_csv_export_lists_each_organisations_latest_assessment(user_client):
    old = assess("GIZ", type="donor", influence=1, interest=1, when=-1000)
    AssessmentFactory(
        organisation=old.organisation,
        influence=5,
        interest=4,
        stance=Stance.SUPPORTIVE,
        assessed_on=datetime.date(2025, 1, 29),
        note="=HYPERLINK()",
    )
    assess("Ministry of Health", type="ministry")

    response = user_client.get(MAP + "export.csv", {"type": "donor"})

    rows = rows_of(response, "csv")
    assert rows[0] == [
        "Organisation",
        "Acronym",
        "Type",
        "Influence",
        "Interest",
        "Quadrant",
        "Stance",
        "Assessed on",
        "Assessed by",
        "Note",
    ]
    assert rows[1:] == [
        [
            "GIZ",
            old.organisation.acronym,
            "Donor / development bank",
            "5",
            "4",
            "Manage closely",
            "Supportive",
            "2025-01-29",
            "",
            "'=HYPERLINK()",
        ]
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the first rows apart: PostgreSQL's"
)
def test_the_export_reads_the_latest_assessments_once(
    user_client, monkeypatch, capture_queries
):
    """Other exports read their first rows apart on PostgreSQL, in a query
    of their own (core.exports.Plan.head_first). The map's rows are at most
    one per organisation, and each query would find every organisation's
    latest assessment again: it reads them in one query."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for n in range(5):
        assess(f"Partner {n}")

    with capture_queries() as queries:
        rows = rows_of(user_client.get(MAP + "export.csv"), "csv")

    assert [row[0] for row in rows[1:]] == [f"Partner {n}" for n in range(5)]
    assessments = [sql for sql in queries.sql if '"stakeholders_assessment"' in sql]
    assert len(assessments) == 1


def test_the_xlsx_export_has_the_same_rows(user_client):
    assess("GIZ", influence=2, interest=4, stance=Stance.NEUTRAL)

    rows = rows_of(user_client.get(MAP + "export.xlsx"), "xlsx")

    assert rows[1][0] == "GIZ"
    assert rows[1][3:7] == [2, 4, "Keep informed", "Neutral"]


def test_the_svg_download_is_a_well_formed_standalone_drawing(user_client):
    giz = assess("GIZ & Co <Ltd>", influence=5, interest=5).organisation
    assess("Other", type="donor", influence=1, interest=1)

    response = user_client.get(MAP + "map.svg", {"type": "ministry"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)  # noqa: S314 - the site's own file
    assert root.tag == f"{{{SVG}}}svg"
    titles = [t.text for t in root.iter(f"{{{SVG}}}title")]
    assert any(t.startswith("GIZ & Co <Ltd>:") for t in titles)
    assert not any(t.startswith("Other:") for t in titles)
    links = [a.get("href") for a in root.iter(f"{{{SVG}}}a")]
    assert links == [f"http://testserver/organisations/{giz.pk}/"]
    assert root.get("width")
    assert "style" not in body


# Queries


def make_assessed(count, start=0):
    made = []
    for n in range(start, start + count):
        first = assess(f"Organisation {n:03}", influence=1 + n % 5, when=-200)
        AssessmentFactory(
            organisation=first.organisation,
            influence=1 + (n + 2) % 5,
            interest=1 + n % 5,
            assessed_on=days(-1),
        )
        made.append(first.organisation)
    return made


@pytest.mark.parametrize("query", [{}, {"compare": "x"}])
def test_the_map_queries_do_not_grow_with_organisations(
    user_client, django_assert_num_queries, query
):
    if query:
        query = {"compare": days(-100).isoformat(), "type": "ministry", "q": "org"}
    make_assessed(1)
    # session, user with its permissions, the types (the filter's
    # checkboxes), count, page, the map's marks, the organisations' names in
    # the reader's language; with the filter, the chosen types (validated)
    # and the assessments in force on the compared day
    expected = 9 if query else 7
    with django_assert_num_queries(expected):
        response = user_client.get(MAP, query)
    assert len(response.context["map"]["marks"]) == 1

    make_assessed(29, start=1)
    with django_assert_num_queries(expected):
        response = user_client.get(MAP, query)
    assert len(response.context["map"]["marks"]) == 30
    # Each moved from its first place (influence n, interest n) to the next.
    assert len(response.context["map"]["arrows"]) == (30 if query else 0)


NUMBER_ATTRIBUTES = ("x", "y", "x1", "y1", "x2", "y2", "width", "height", "viewBox")


@pytest.mark.parametrize("language", ["en", "ru", "uz"])
def test_the_drawings_numbers_are_svgs_whatever_the_language(client, viewer, language):
    # Uzbek and Russian write a decimal comma ("266,5"): in an SVG attribute
    # it is another number (a text's x and y) or an error (a line's x1, a
    # rotation: the influence axis' name lay flat and cut off).
    moved = assess("Moved", influence=1, interest=1, when=-100)
    AssessmentFactory(
        organisation=moved.organisation, influence=5, interest=4, assessed_on=days(-1)
    )
    client.force_login(viewer)
    query = {"compare": days(-50).isoformat()}
    headers = {"accept-language": language}

    page = client.get(MAP, query, headers=headers).content.decode()
    download = client.get(MAP + "map.svg", query, headers=headers).content

    drawing = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    for svg in (drawing.encode(), download):
        root = ET.fromstring(svg)  # noqa: S314 - the site's own drawing
        numbers = [
            value
            for element in root.iter()
            for name in NUMBER_ATTRIBUTES
            if (value := element.get(name)) is not None
        ]
        assert numbers, "the drawing has no coordinates"
        assert not [n for n in numbers if "," in n], numbers
        transforms = [e.get("transform") for e in root.iter() if e.get("transform")]
        assert transforms
        assert all(re.fullmatch(r"rotate\(-90 20 [\d.]+\)", t) for t in transforms)
        assert len(list(root.iter(f"{{{SVG}}}line"))) > 0


@pytest.mark.parametrize("language", ["en", "ru", "uz"])
def test_each_quadrants_name_fits_its_quadrant_in_every_language(
    client, viewer, language
):
    # SVG text does not wrap: the Russian "Поддерживать удовлетворённость"
    # ran across "Тесно взаимодействовать" in the quadrant beside it.
    assess("GIZ", influence=5, interest=5)
    client.force_login(viewer)

    response = client.get(MAP, headers={"accept-language": language})

    text = response.content.decode()
    for quadrant in response.context["map"]["quadrants"]:
        lines = [line["text"] for line in quadrant["label_lines"]]
        assert " ".join(lines) == str(quadrant["label"])
        room = quadrant["width"] - 12
        assert all(
            len(line) * stakeholder_map.LABEL_CHAR_WIDTH <= room for line in lines
        ), lines
        ys = [line["y"] for line in quadrant["label_lines"]]
        assert all(quadrant["y"] < y < quadrant["y"] + quadrant["height"] for y in ys)
        for line in lines:
            assert f">{line}</text>" in text
    if language == "ru":
        (keep_satisfied,) = [
            q
            for q in response.context["map"]["quadrants"]
            if str(q["label"]).startswith("Поддерживать")
        ]
        assert len(keep_satisfied["label_lines"]) == 2

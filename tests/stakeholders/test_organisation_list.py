"""The organisations list (/organisations/): every filter parameter of the public
contract in DESIGN.md matches what it should and nothing else, a bad value is a
400 naming the field, sorting, pagination that keeps the filter, and the rows
as the template wrote them. Its queries and counting are in
test_organisation_list_queries.py, the picker's endpoint in
test_organisation_suggest.py."""

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django_countries import countries

from core.forms import WidgetRenderer
from meetings.models import Attendance
from stakeholders import views
from stakeholders.filters import OrganisationFilter
from stakeholders.models import Organisation, OrganisationType
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
)
from tests.stakeholders.test_admin import without_csrf_tokens

pytestmark = pytest.mark.django_db

LIST = "/organisations/"
TASHKENT = ZoneInfo("Asia/Tashkent")


def of_type(slug):
    return OrganisationType.objects.get(slug=slug)


def listed(response):
    """Names of the organisations on the page, in the order shown."""
    return [organisation.name for organisation in response.context["object_list"]]


def link(response, rel):
    """The query string of the pagination link with ``rel`` ("next", "prev")."""
    match = re.search(
        rf'<a [^>]*href="([^"]*)"[^>]*rel="{rel}"', response.content.decode()
    )
    assert match, f'no rel="{rel}" link on the page'
    return html.unescape(match.group(1))


def local(*args):
    return datetime.datetime(*args, tzinfo=TASHKENT)


# Access


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        LIST + "?type=donor",
        LIST + "export.csv",
        LIST + "export.xlsx",
        LIST + "suggest/?q=uz",
    ],
)
def test_it_requires_login(client, url):
    OrganisationFactory(name="Confidential partner")

    response = client.get(url)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": [url]}
    assert b"Confidential partner" not in response.content


@pytest.mark.parametrize(
    "url",
    [LIST, LIST + "export.csv", LIST + "export.xlsx", LIST + "suggest/?q=partner"],
)
def test_a_logged_in_user_without_staff_status_may_use_it(user_client, url):
    OrganisationFactory(name="Visible partner")

    response = user_client.get(url)

    assert response.status_code == 200


def test_it_lists_organisations_with_type_country_and_parent(admin_client):
    parent = OrganisationFactory(
        name="World Health Organization", acronym="WHO", country="CH"
    )
    OrganisationFactory(
        name="WHO Representative Office in Uzbekistan",
        acronym="",
        type=of_type("un-agency"),
        parent=parent,
    )

    response = admin_client.get(LIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "WHO Representative Office in Uzbekistan" in content
    assert "part of World Health Organization" in content
    assert "UN agency" in content
    assert "<td>Switzerland</td>" in content


# Filters


@pytest.fixture
def ministry_of_health():
    organisation = OrganisationFactory(
        name="Ministry of Health of the Republic of Uzbekistan",
        acronym="MoH",
        type=of_type("ministry"),
    )
    OrganisationNameFactory(organisation=organisation, name="Минздрав Узбекистана")
    OrganisationNameFactory(
        organisation=organisation, name="Sog'liqni saqlash vazirligi"
    )
    return organisation


@pytest.mark.parametrize(
    "q",
    [
        "ministry of health",  # name, any case
        "moh",  # acronym
        "Минздрав",  # an other name (Russian)
        "saqlash",  # an other name (Uzbek)
    ],
)
def test_it_searches_name_acronym_and_other_names(admin_client, ministry_of_health, q):
    insurance = OrganisationFactory(
        name="State Health Insurance Fund", acronym="SHIF", type=of_type("state-fund")
    )
    OrganisationNameFactory(
        organisation=insurance, name="Фонд медицинского страхования"
    )

    response = admin_client.get(LIST, {"q": q})

    assert response.status_code == 200
    # Listed once although two of its other names exist.
    assert listed(response) == [ministry_of_health.name]


def test_its_search_ignores_the_case_of_cyrillic_names(
    admin_client, ministry_of_health
):
    """A coordinator types Russian names in lower case; SQLite's LIKE folds the
    case of ASCII letters only."""
    response = admin_client.get(LIST, {"q": "минздрав"})

    assert listed(response) == [ministry_of_health.name]


def test_an_empty_search_lists_everything(admin_client, ministry_of_health):
    OrganisationFactory(name="KfW Bank", type=of_type("donor"))

    response = admin_client.get(LIST, {"q": "  "})

    assert response.status_code == 200
    assert sorted(listed(response)) == ["KfW Bank", ministry_of_health.name]


def test_it_filters_by_type(admin_client):
    OrganisationFactory(name="KfW Bank", type=of_type("donor"))
    OrganisationFactory(name="GIZ", type=of_type("donor"))
    OrganisationFactory(name="Ministry of Health", type=of_type("ministry"))

    response = admin_client.get(LIST, {"type": "donor"})

    assert response.status_code == 200
    assert listed(response) == ["GIZ", "KfW Bank"]


def test_a_repeated_type_lists_both_kinds_and_nothing_else(admin_client):
    OrganisationFactory(name="KfW Bank", type=of_type("donor"))
    OrganisationFactory(name="Ministry of Health", type=of_type("ministry"))
    OrganisationFactory(name="UNICEF", type=of_type("un-agency"))
    OrganisationFactory(name="UZINFOCOM", type=of_type("integrator"))

    response = admin_client.get(LIST + "?type=donor&type=ministry")

    assert response.status_code == 200
    assert listed(response) == ["KfW Bank", "Ministry of Health"]
    # Both boxes stay ticked on the page.
    content = response.content.decode()
    assert re.search(r'<input[^>]*value="donor"[^>]*checked', content)
    assert re.search(r'<input[^>]*value="ministry"[^>]*checked', content)
    assert not re.search(r'<input[^>]*value="un-agency"[^>]*checked', content)


def test_it_filters_by_country(admin_client):
    OrganisationFactory(name="KfW Bank", country="DE")
    OrganisationFactory(name="Ministry of Health", country="UZ")
    OrganisationFactory(name="UNOPS", country="")

    response = admin_client.get(LIST, {"country": "DE"})

    assert response.status_code == 200
    assert listed(response) == ["KfW Bank"]


def test_it_filters_by_parent(admin_client):
    president = OrganisationFactory(name="President of the Republic of Uzbekistan")
    OrganisationFactory(name="Statistics Agency", parent=president)
    who = OrganisationFactory(name="World Health Organization")
    OrganisationFactory(name="WHO Representative Office", parent=who)

    response = admin_client.get(LIST, {"parent": president.pk})

    assert response.status_code == 200
    assert listed(response) == ["Statistics Agency"]


def test_it_filters_by_a_meeting_attended_listing_each_organisation_once(
    admin_client,
):
    meeting = MeetingFactory()
    other_meeting = MeetingFactory()
    kfw = OrganisationFactory(name="KfW Bank")
    # Two people at one meeting on behalf of KfW: two rows, one organisation.
    AttendanceFactory.create_batch(2, meeting=meeting, organisation=kfw)
    AttendanceFactory(
        meeting=meeting,
        organisation=OrganisationFactory(name="GIZ"),
        person=None,
        status=Attendance.Status.INVITED,
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=OrganisationFactory(name="UNOPS"),
        status=Attendance.Status.DECLINED,
    )
    AttendanceFactory(
        meeting=other_meeting, organisation=OrganisationFactory(name="UNICEF")
    )

    response = admin_client.get(LIST, {"attended": meeting.pk})

    assert response.status_code == 200
    assert listed(response) == ["KfW Bank"]
    assert "1 result" in response.content.decode()


@pytest.fixture
def attendance_around_midnight():
    """Organisations that attended meetings either side of midnight, Tashkent
    time, on 29 January 2025 (UTC+5, so 01:00 there is still the 28th in UTC)."""

    def attended(name, starts_at):
        organisation = OrganisationFactory(name=name)
        AttendanceFactory(
            meeting=MeetingFactory(starts_at=starts_at),
            organisation=organisation,
            person=None,
        )
        return organisation

    early = attended("Early on the 29th", local(2025, 1, 29, 1, 0))
    assert early.attendances.get().meeting.starts_at.astimezone(
        datetime.UTC
    ).date() == datetime.date(2025, 1, 28)
    attended("Late on the 28th", local(2025, 1, 28, 23, 30))
    attended("Late on the 29th", local(2025, 1, 29, 23, 30))
    attended("Early on the 30th", local(2025, 1, 30, 0, 30))
    invited = OrganisationFactory(name="Invited on the 29th")
    AttendanceFactory(
        meeting=MeetingFactory(starts_at=local(2025, 1, 29, 10, 0)),
        organisation=invited,
        status=Attendance.Status.INVITED,
    )
    OrganisationFactory(name="Never met")


@pytest.mark.usefixtures("attendance_around_midnight")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"attended_after": "2025-01-29"},
            ["Early on the 29th", "Early on the 30th", "Late on the 29th"],
        ),
        (
            {"attended_before": "2025-01-28"},
            ["Late on the 28th"],
        ),
        (
            {"attended_after": "2025-01-29", "attended_before": "2025-01-29"},
            ["Early on the 29th", "Late on the 29th"],
        ),
        (
            {"attended_after": "2025-01-30", "attended_before": "2025-01-30"},
            ["Early on the 30th"],
        ),
    ],
)
def test_it_filters_by_attendance_between_local_dates(admin_client, query, expected):
    response = admin_client.get(LIST, query)

    assert response.status_code == 200
    assert listed(response) == expected


def test_the_attendance_dates_combine_with_the_meeting_filter(admin_client):
    january = MeetingFactory(starts_at=local(2025, 1, 29, 10, 0))
    march = MeetingFactory(starts_at=local(2025, 3, 5, 10, 0))
    # KfW attended in January and March, GIZ in January only.
    kfw = OrganisationFactory(name="KfW Bank")
    AttendanceFactory(meeting=january, organisation=kfw)
    AttendanceFactory(meeting=march, organisation=kfw)
    AttendanceFactory(meeting=january, organisation=OrganisationFactory(name="GIZ"))

    response = admin_client.get(
        LIST, {"attended": january.pk, "attended_after": "2025-03-01"}
    )

    assert listed(response) == ["KfW Bank"]


@pytest.mark.parametrize(
    ("active", "expected"),
    [("true", ["Current partner"]), ("false", ["Merged partner"])],
)
def test_it_filters_by_active(admin_client, active, expected):
    OrganisationFactory(name="Current partner", is_active=True)
    OrganisationFactory(name="Merged partner", is_active=False)

    response = admin_client.get(LIST, {"active": active})

    assert response.status_code == 200
    assert listed(response) == expected


def test_without_the_active_filter_inactive_organisations_are_listed_and_marked(
    admin_client,
):
    OrganisationFactory(name="Current partner", is_active=True)
    OrganisationFactory(name="Merged partner", is_active=False)

    response = admin_client.get(LIST)

    assert listed(response) == ["Current partner", "Merged partner"]
    assert "inactive" in response.content.decode()


# Bad input


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"type": "no-such-type"}, "type", "Type"),
        ({"type": ["donor", "no-such-type"]}, "type", "Type"),
        ({"country": "XX"}, "country", "Country"),
        ({"parent": "abc"}, "parent", "Part of"),
        ({"parent": "999999"}, "parent", "Part of"),
        ({"attended": "abc"}, "attended", "Attended meeting"),
        ({"attended": "999999"}, "attended", "Attended meeting"),
        ({"attended_after": "2025-13-01"}, "attended_after", "Attended a meeting from"),
        (
            {"attended_before": "yesterday"},
            "attended_before",
            "Attended a meeting until",
        ),
        (
            {"attended_after": "2025-02-01", "attended_before": "2025-01-01"},
            "attended_before",
            "Attended a meeting until",
        ),
        ({"active": "maybe"}, "active", "Status"),
        ({"sort": "secret_notes"}, "sort", "Sort by"),
        ({"sort": "-email"}, "sort", "Sort by"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_field(
    admin_client, query, field, label
):
    OrganisationFactory(name="KfW Bank", type=of_type("donor"))

    response = admin_client.get(LIST, query)

    assert response.status_code == 400
    content = response.content.decode()
    error = re.search(
        rf'<div class="invalid-feedback[^"]*" id="id_{field}_error">([^<]*)</div>',
        content,
    )
    assert error, f"no error shown for {field}"
    assert error.group(1).startswith(f"{label}: ")
    assert "Correct the filter to see results." in content
    assert list(response.context["object_list"]) == []
    assert "KfW Bank" not in content
    assert "Nothing matches this filter." not in content
    # No export links for a filter that does not stand.
    assert "export.csv" not in content


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"type": ["donor", "ministry"], "country": "UZ", "active": "false"},
        {"country": "XX", "attended": "x", "attended_after": "<soon>", "q": '"><b>'},
    ],
)
def test_the_filter_form_is_the_one_djangos_widget_templates_write(
    admin_client, settings, query
):
    ours = admin_client.get(LIST, query)
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    django = admin_client.get(LIST, query)

    assert without_csrf_tokens(ours) == without_csrf_tokens(django)
    assert isinstance(ours.context["filter"].form.renderer, WidgetRenderer)


def test_each_row_links_to_its_organisation(admin_client):
    organisations = OrganisationFactory.create_batch(3)

    content = admin_client.get(LIST).content.decode()

    for organisation in organisations:
        url = reverse("organisations:detail", args=[organisation.pk])
        assert f'<a href="{url}">{organisation.name}</a>' in content


def test_the_date_range_error_names_the_start_field(admin_client):
    response = admin_client.get(
        LIST, {"attended_after": "2025-02-01", "attended_before": "2025-01-01"}
    )

    assert response.status_code == 400
    content = html.unescape(response.content.decode())
    assert "Must be on or after the date in “Attended a meeting from”." in content
    assert 'id="id_attended_after_error"' not in content


def test_a_filter_that_matches_nothing_says_so_with_a_200(admin_client):
    OrganisationFactory(name="Ministry of Health", type=of_type("ministry"))

    response = admin_client.get(LIST, {"type": "donor"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing matches this filter." in content
    assert "0 results" in content


# Sorting


@pytest.fixture
def met_organisations():
    """Three organisations met 1, 3 and 2 times, last met in March, January and
    February 2025, whose names sort in yet another order."""
    for name, meetings, last_month in [
        ("Alpha Fund", 1, 3),
        ("Beta Agency", 3, 1),
        ("Gamma Bank", 2, 2),
    ]:
        organisation = OrganisationFactory(name=name)
        for day in range(1, meetings + 1):
            AttendanceFactory(
                meeting=MeetingFactory(
                    starts_at=local(2025, last_month, day, 10), host=None
                ),
                organisation=organisation,
                person=None,
            )
    # Two people of Alpha Fund at its one meeting still count as one meeting.
    alpha = Organisation.objects.get(name="Alpha Fund")
    meeting = alpha.attendances.get().meeting
    AttendanceFactory.create_batch(2, meeting=meeting, organisation=alpha)


@pytest.mark.usefixtures("met_organisations")
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Alpha Fund", "Beta Agency", "Gamma Bank"]),
        ("-name", ["Gamma Bank", "Beta Agency", "Alpha Fund"]),
        ("meetings", ["Alpha Fund", "Gamma Bank", "Beta Agency"]),
        ("-meetings", ["Beta Agency", "Gamma Bank", "Alpha Fund"]),
        ("last_met", ["Beta Agency", "Gamma Bank", "Alpha Fund"]),
        ("-last_met", ["Alpha Fund", "Gamma Bank", "Beta Agency"]),
    ],
)
def test_it_sorts_by_a_visible_column_both_ways(admin_client, sort, expected):
    response = admin_client.get(LIST, {"sort": sort})

    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.usefixtures("met_organisations")
@pytest.mark.parametrize("sort", ["last_met", "-last_met"])
def test_organisations_never_met_sort_last_both_ways(admin_client, sort):
    """The same on SQLite (NULL first when ascending) and PostgreSQL (NULL
    last): a manager looking for whom we met longest ago wants met ones first."""
    OrganisationFactory(name="Aardvark Trust")

    response = admin_client.get(LIST, {"sort": sort})

    assert listed(response)[-1] == "Aardvark Trust"
    assert len(listed(response)) == 4


@pytest.mark.usefixtures("met_organisations")
def test_it_shows_meetings_attended_and_last_met(admin_client):
    response = admin_client.get(LIST, {"sort": "name"})

    rows = {o.name: o for o in response.context["object_list"]}
    assert rows["Alpha Fund"].meetings_attended == 1
    assert rows["Beta Agency"].meetings_attended == 3
    content = response.content.decode()
    assert "1 Mar 2025" in content  # Alpha Fund's only meeting


def test_a_sort_header_link_keeps_the_filter_and_reverses_the_current_sort(
    admin_client,
):
    OrganisationFactory(name="KfW Bank", type=of_type("donor"))

    response = admin_client.get(LIST, {"type": "donor", "sort": "name", "page": "1"})

    content = html.unescape(response.content.decode())
    assert 'href="?type=donor&sort=-name"' in content
    assert 'aria-sort="ascending"' in content


# Pagination


@pytest.fixture
def sixty_donors():
    """60 donors (more than one page of 50) and a few ministries."""
    donor = of_type("donor")
    donors = [
        OrganisationFactory(name=f"Donor {n:02}", type=donor) for n in range(1, 61)
    ]
    OrganisationFactory.create_batch(5, type=of_type("ministry"))
    return donors


def test_pagination_keeps_the_filter(admin_client, sixty_donors):
    response = admin_client.get(LIST, {"type": "donor"})

    assert response.status_code == 200
    assert listed(response) == [d.name for d in sixty_donors[:50]]
    next_page = link(response, "next")
    assert parse_qs(urlsplit(next_page).query) == {"type": ["donor"], "page": ["2"]}

    response = admin_client.get(LIST + next_page)

    assert response.status_code == 200
    assert listed(response) == [d.name for d in sixty_donors[50:]]
    previous = link(response, "prev")
    assert parse_qs(urlsplit(previous).query) == {"type": ["donor"], "page": ["1"]}


def test_it_shows_the_result_count_across_all_pages(admin_client, sixty_donors):
    response = admin_client.get(LIST, {"type": "donor"})

    assert "60 results" in response.content.decode()


@pytest.mark.parametrize(("page", "shown"), [("3", 2), ("999", 2), ("abc", 1)])
def test_a_page_out_of_range_or_malformed_shows_the_last_or_first(
    admin_client, sixty_donors, page, shown
):
    response = admin_client.get(LIST, {"type": "donor", "page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == shown
    expected = sixty_donors[50:] if shown == 2 else sixty_donors[:50]
    assert listed(response) == [d.name for d in expected]


def test_paging_through_a_sort_with_ties_shows_every_row_once(admin_client):
    """None of these has met anyone, so the sort alone leaves them in no
    particular order: each page must still come from one order, or a row shows
    on two pages and another on none (PostgreSQL sorts a page's worth of rows
    differently from the whole table)."""
    organisations = OrganisationFactory.create_batch(230, type=of_type("donor"))

    shown = []
    for page in range(1, 6):
        shown += listed(admin_client.get(LIST, {"sort": "meetings", "page": page}))

    assert sorted(shown) == sorted(o.name for o in organisations)


# The country filter's choices, and the rows' markup.


def test_the_country_filter_offers_every_country_in_the_active_language():
    form = OrganisationFilter(None, queryset=Organisation.objects.none()).form

    with translation.override("ru"):
        russian = str(form["country"])
    english = str(form["country"])

    assert '<option value="DE">Германия</option>' in russian
    assert '<option value="DE">Germany</option>' in english
    assert english.count("<option") == len(list(countries)) + 1  # and "---------"


# The organisations list's rows as its template wrote them before the
# organisation_rows tag.
ROWS_TEMPLATE = """{% load i18n country_names list_links local_dates %}
    {% for organisation in object_list %}
    <tr>
      <td>
        <a href="{% pk_url 'organisations:detail' organisation.pk %}">{{ organisation.name }}</a>
        {% if not organisation.is_active %}<span class="badge text-bg-secondary">{% translate "inactive" %}</span>{% endif %}
        {% if organisation.parent %}<div class="small text-body-secondary">{% blocktranslate with parent=organisation.parent.name %}part of {{ parent }}{% endblocktranslate %}</div>{% endif %}
      </td>
      <td>{{ organisation.acronym }}</td>
      <td>{{ organisation.type.name }}</td>
      <td>{{ organisation.country|country_name }}</td>
      <td class="text-end">{{ organisation.meetings_attended }}</td>
      <td class="text-nowrap">{{ organisation.last_met|day|default:"—" }}</td>
    </tr>
    {% endfor %}
"""  # noqa: E501


def test_the_rows_are_those_the_template_wrote():
    parent = OrganisationFactory(name='Ministry <of> "Health" & Co', acronym="")
    OrganisationFactory(
        name="Clinic", parent=parent, country="", is_active=False, acronym="A&B"
    )
    Organisation.objects.filter(pk=parent.pk).update(
        meetings_attended=12345,
        last_met=datetime.datetime(2025, 1, 28, 21, 30, tzinfo=datetime.UTC),
    )
    rows = list(views.OrganisationListView().get_queryset())
    engine = engines["django"]

    ours = engine.from_string(
        "{% load stakeholder_rows %}\n    {% organisation_rows object_list %}\n"
    ).render({"object_list": rows})
    theirs = engine.from_string(ROWS_TEMPLATE).render({"object_list": rows})

    assert ours == theirs
    assert "29 Jan 2025" in ours
    assert "part of Ministry &lt;of&gt; &quot;Health&quot; &amp; Co" in ours

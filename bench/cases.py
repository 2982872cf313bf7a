"""What the benchmark measures: every page, with the records and filter values
that make it work hardest, found in the generated data.

``app_cases()`` is shared with tests/test_query_counts_at_scale.py, which checks
that each page runs as many queries at one scale as at another.
"""

import base64
import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import iuliia
from django.db.models import Count

from duplicates.models import OrganisationPair, PersonPair
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from stakeholders.models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

PAGE_SIZE = 50  # the lists' and Hamkor's admin's page size
DEEP_PAGE = 1000
# The map's comparison: a year before the sample data's anchor (bench.sample_plan).
MAP_COMPARE = "2025-11-01"
CYRILLIC = re.compile("[\u0400-\u04ff]")
# The lists and changelists with a deep page, by the name the cases use.
PAGED = {
    "organisations": Organisation,
    "people": Person,
    "meetings": Meeting,
    "attendance": Attendance,
    "positions": Position,
    "other_names": OrganisationName,
    "identifiers": OrganisationIdentifier,
    "agenda_items": AgendaItem,
    "follow_ups": FollowUp,
    "topics": Topic,
}


@dataclass
class Targets:
    """Ids and values the cases' URLs are filled with."""

    organisation: int  # with the most attendance rows
    person: int  # with the most attendance rows
    meeting: int  # with the most attendance rows
    attendance: int  # a row of that meeting
    topic: int  # on the most agendas
    type_slug: str  # of an organisation at the busiest meeting
    type_id: int
    year: int  # the last full year with meetings
    organisation_term: str
    person_term: str
    meeting_term: str
    pages: dict = field(default_factory=dict)  # list name -> number of pages
    # The busiest organisation's acronym: a term that finds few organisations
    # and many meetings (meetings ?q by an organisation, issue 12).
    acronym: str = "x"
    # Names on record typed again into the add forms (issue 15): the busiest
    # organisation's, and the first person's written in Cyrillic.
    organisation_name: str = "Sample organisation"
    person_name: str = "Sample person"

    @classmethod
    def placeholder(cls):
        """Targets with every list two pages long: the cases' names without a
        database (for test parametrisation)."""
        return cls(
            organisation=1,
            person=1,
            meeting=1,
            attendance=1,
            topic=1,
            type_slug="ministry",
            type_id=1,
            year=2024,
            organisation_term="x",
            person_term="x",
            meeting_term="x",
            pages=dict.fromkeys(PAGED, 2),
        )

    def deep(self, name):
        """Page 1,000 where the list has one, else its last page."""
        return max(1, min(DEEP_PAGE, self.pages.get(name, 1)))

    def as_dict(self):
        return dict(self.__dict__)


def busiest(field_name):
    row = (
        Attendance.objects.exclude(**{f"{field_name}__isnull": True})
        .values(field_name)
        .annotate(n=Count("pk"))
        .order_by("-n", field_name)
        .first()
    )
    return row[field_name] if row else None


def find_targets():
    """The busiest records and the filter values to use (a few aggregate
    queries over the attendance table: seconds at XL, not timed)."""
    organisation = busiest("organisation")
    person = busiest("person")
    meeting = busiest("meeting")
    # A row with a person: its change form has all three pickers.
    attendance = (
        Attendance.objects.filter(meeting=meeting, person__isnull=False)
        .order_by("pk")
        .first()
    )
    topic = (
        AgendaItem.objects.values("topic")
        .annotate(n=Count("pk"))
        .order_by("-n", "topic")
        .first()
    )
    # A type other than the busiest organisation's own, so that the filter
    # leaves some organisations out; a donor when one took part.
    at_meeting = (
        Organisation.objects.filter(attendances__meeting=meeting)
        .exclude(pk=organisation)
        .values("type__slug", "type_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "type__slug")
    )
    types = list(at_meeting)
    chosen = next((t for t in types if t["type__slug"] == "donor"), None) or (
        types[0] if types else {"type__slug": "ministry", "type_id": 0}
    )
    latest = Meeting.objects.order_by("-starts_at").values_list("starts_at", flat=True)
    year = (latest.first().year - 1) if latest.exists() else 2024
    person_name = (
        Person.objects.filter(pk=person).values_list("full_name", flat=True).first()
        or "Sample"
    )
    counts = {name: model.objects.count() for name, model in PAGED.items()}
    cyrillic = next(
        (
            name
            for name in Person.objects.order_by("pk").values_list(
                "full_name", flat=True
            )[:1000]
            if CYRILLIC.search(name)
        ),
        person_name,
    )
    return Targets(
        organisation=organisation or 0,
        person=person or 0,
        meeting=meeting or 0,
        attendance=attendance.pk if attendance else 0,
        topic=topic["topic"] if topic else 0,
        type_slug=chosen["type__slug"],
        type_id=chosen["type_id"],
        year=year,
        organisation_term="health",
        # The family name: the search of a coordinator who knows it.
        person_term=person_name.split()[-1][:6].lower(),
        meeting_term="workshop",
        acronym=Organisation.objects.filter(pk=organisation)
        .values_list("acronym", flat=True)
        .first()
        or "x",
        organisation_name=Organisation.objects.filter(pk=organisation)
        .values_list("name", flat=True)
        .first()
        or "Sample organisation",
        person_name=cyrillic,
        pages={
            name: max(1, math.ceil(count / PAGE_SIZE)) for name, count in counts.items()
        },
    )


@dataclass
class Case:
    """One page. ``url`` is the app's; ``naive`` the same page in the naive
    build (``bench.naive``), or None where a default build has no such page.
    ``checks`` names the targets of the issue that apply."""

    name: str
    group: str
    url: str
    naive: str | None = None
    checks: tuple = ()
    export: bool = False
    urlconf: str | None = None  # for the app side, when not config.urls
    note: str = ""
    # Settings for the app side's requests (override_settings), when not
    # bench.settings'.
    settings: dict | None = None
    # A management command run once in a fresh process instead of a page
    # (bench/probe.py): its wall time and peak memory.
    command: str | None = None

    @property
    def key(self):
        """The name without the deep page's number, the same at every scale."""
        return re.sub(r"page \d+", "deep page", self.name)


def admin_url(model, query=""):
    app = model._meta.app_label
    name = model._meta.model_name
    return f"/admin/{app}/{name}/{query}"


def app_cases(t):
    """Every page of the app, filled in with targets ``t``."""
    org, person, meeting = t.organisation, t.person, t.meeting
    year = t.year
    lists = ("list", "lte_floor")
    deep = ("deep_page", "list", "lte_floor")
    cases = [
        # The dashboard counting its figures (bench.settings keeps none), as
        # each worker does once a DASHBOARD_CACHE_SECONDS; then with them
        # kept, as the other requests of that minute find them.
        Case("home", "page", "/", None, ("list",)),
        Case(
            "home, figures kept",
            "page",
            "/",
            None,
            ("list",),
            settings={"DASHBOARD_CACHE_SECONDS": 60},
        ),
        # The dashboard's dormant partners for a longer N: more organisations
        # counted, the first ten found further along the meetings index.
        Case("home ?dormant_months=12", "page", "/?dormant_months=12", None, ("list",)),
        Case("home ?dormant_months=36", "page", "/?dormant_months=36", None, ("list",)),
        # Organisations
        Case("organisations", "list", "/organisations/", "/organisations/", lists),
        Case(
            f"organisations page {t.deep('organisations')}",
            "list",
            f"/organisations/?page={t.deep('organisations')}",
            f"/organisations/?page={t.deep('organisations')}",
            deep,
        ),
        Case(
            "organisations ?type&attended",
            "list",
            f"/organisations/?type={t.type_slug}&attended={meeting}",
            f"/organisations/?type={t.type_slug}&attended={meeting}",
            ("type_and_meeting", *lists),
        ),
        Case(
            "organisations ?attended_after&before",
            "list",
            f"/organisations/?attended_after={year}-01-01&attended_before={year}-12-31",
            f"/organisations/?attended_after={year}-01-01&attended_before={year}-12-31",
            lists,
        ),
        # The start page's link to the dormant partners, most met first. (Its
        # link to those never met lists none at scale S, every organisation
        # of the sample met, so a page of it runs fewer queries there than
        # at M: measured by hand, see docs/dashboard.md.)
        Case(
            "organisations ?active&last_met_before&sort=-meetings",
            "list",
            f"/organisations/?active=true&last_met_before={year}-06-01&sort=-meetings",
            None,
            ("list",),
        ),
        Case(
            "organisations ?q",
            "list",
            f"/organisations/?q={t.organisation_term}",
            f"/organisations/?q={t.organisation_term}",
            lists,
        ),
        Case(
            "organisations ?sort=-meetings",
            "list",
            "/organisations/?sort=-meetings",
            "/organisations/?sort=-meetings",
            lists,
        ),
        Case(
            "organisations ?parent",
            "list",
            f"/organisations/?parent={org}",
            f"/organisations/?parent={org}",
            lists,
        ),
        # People
        Case("people", "list", "/people/", "/people/", lists),
        Case(
            f"people page {t.deep('people')}",
            "list",
            f"/people/?page={t.deep('people')}",
            f"/people/?page={t.deep('people')}",
            deep,
        ),
        Case(
            "people ?organisation",
            "list",
            f"/people/?organisation={org}",
            f"/people/?organisation={org}",
            lists,
        ),
        Case(
            "people ?type",
            "list",
            f"/people/?type={t.type_slug}",
            f"/people/?type={t.type_slug}",
            lists,
        ),
        Case(
            "people ?attended",
            "list",
            f"/people/?attended={meeting}",
            f"/people/?attended={meeting}",
            lists,
        ),
        Case(
            "people ?q",
            "list",
            f"/people/?q={t.person_term}",
            f"/people/?q={t.person_term}",
            lists,
        ),
        # Meetings
        Case("meetings", "list", "/meetings/", "/meetings/", lists),
        Case(
            f"meetings page {t.deep('meetings')}",
            "list",
            f"/meetings/?page={t.deep('meetings')}",
            f"/meetings/?page={t.deep('meetings')}",
            deep,
        ),
        Case(
            "meetings ?after&before",
            "list",
            f"/meetings/?after={year}-01-01&before={year}-12-31",
            f"/meetings/?after={year}-01-01&before={year}-12-31",
            lists,
        ),
        # A bar of the start page's meetings per month: one month's meetings
        # held or planned.
        Case(
            "meetings ?after&before&status=held&status=planned",
            "list",
            f"/meetings/?after={year}-06-01&before={year}-06-30"
            "&status=held&status=planned",
            None,
            ("list",),
        ),
        # By title and by the organisations that took part (issue 12): a word
        # in a tenth of the organisations' names (too many: titles alone),
        # and the acronym of the busiest organisation (its meetings).
        Case(
            "meetings ?q",
            "list",
            f"/meetings/?q={t.organisation_term}",
            f"/meetings/?q={t.organisation_term}",
            lists,
        ),
        Case(
            "meetings ?q=acronym",
            "list",
            f"/meetings/?q={t.acronym}",
            f"/meetings/?q={t.acronym}",
            lists,
        ),
        Case(
            "meetings ?organisation",
            "list",
            f"/meetings/?organisation={org}",
            f"/meetings/?organisation={org}",
            lists,
        ),
        Case(
            "meetings ?type",
            "list",
            f"/meetings/?type={t.type_slug}",
            f"/meetings/?type={t.type_slug}",
            lists,
        ),
        Case(
            "meetings ?topic",
            "list",
            f"/meetings/?topic={t.topic}",
            f"/meetings/?topic={t.topic}",
            lists,
        ),
        Case(
            "meetings ?status=held&sort=organisations",
            "list",
            "/meetings/?status=held&sort=-organisations",
            "/meetings/?status=held&sort=-organisations",
            lists,
        ),
        # The follow-up worklist (issue 13): no naive build has one.
        Case("follow-ups", "list", "/follow-ups/", None, lists),
        Case(
            f"follow-ups page {t.deep('follow_ups')}",
            "list",
            f"/follow-ups/?page={t.deep('follow_ups')}",
            None,
            deep,
        ),
        Case(
            "follow-ups ?overdue",
            "list",
            "/follow-ups/?overdue=true",
            None,
            lists,
        ),
        Case(
            "follow-ups ?q",
            "list",
            f"/follow-ups/?q={t.organisation_term}",
            None,
            lists,
        ),
        Case(
            "follow-ups ?owner_organisation&sort=-meeting",
            "list",
            f"/follow-ups/?owner_organisation={org}&sort=-meeting",
            None,
            lists,
        ),
        # The attendance matrix (issue 13): the list of every row, by type,
        # deep; the pivot (the newest 60 meetings, paged by organisations)
        # of every row and of the donors'.
        Case("attendance", "list", "/attendance/", None, lists),
        Case(
            "attendance ?type=donor",
            "list",
            "/attendance/?type=donor",
            None,
            lists,
        ),
        Case(
            f"attendance page {t.deep('attendance')}",
            "list",
            f"/attendance/?page={t.deep('attendance')}",
            None,
            deep,
        ),
        Case(
            "attendance ?view=pivot",
            "list",
            "/attendance/?view=pivot",
            None,
            lists,
        ),
        Case(
            "attendance ?view=pivot&type=donor",
            "list",
            "/attendance/?view=pivot&type=donor",
            None,
            lists,
        ),
        Case(
            "attendance ?view=pivot&organisation",
            "list",
            f"/attendance/?view=pivot&organisation={org}",
            None,
            lists,
        ),
        # The stakeholder map (issue 13, item 5): every assessed organisation
        # (10,000 at XL, more than the map draws), a type, the comparison
        # with a day a year before the data's anchor, and the table's page 2.
        Case("map", "list", "/map/", None, lists),
        Case("map ?type=donor", "list", "/map/?type=donor", None, lists),
        Case(
            "map ?compare",
            "list",
            f"/map/?compare={MAP_COMPARE}",
            None,
            lists,
        ),
        Case("map page 2", "list", "/map/?page=2", None, lists),
        # Detail pages of the busiest records
        Case("organisation detail (busiest)", "detail", f"/organisations/{org}/"),
        Case("person detail (busiest)", "detail", f"/people/{person}/"),
        Case("meeting detail (busiest)", "detail", f"/meetings/{meeting}/"),
        Case("meeting .ics", "detail", f"/meetings/{meeting}.ics"),
        # Timelines of the busiest records (issue 13, item 4): the newest
        # page, and a deep one (each part of the union reads offset + 50 rows).
        Case(
            "organisation timeline (busiest)",
            "detail",
            f"/organisations/{org}/timeline/",
        ),
        Case(
            "organisation timeline page 20 (busiest)",
            "detail",
            f"/organisations/{org}/timeline/?page=20",
        ),
        Case("person timeline (busiest)", "detail", f"/people/{person}/timeline/"),
    ]

    # Admin changelists: plain, filtered, sorted by a joined column, deep.
    def changelist(model, pages_key, filtered=None, sort=None, search=None):
        plain = admin_url(model)
        label = f"admin {model._meta.model_name}"
        found = [Case(label, "admin", plain, plain, lists)]
        if filtered:
            app_query, naive_query = filtered
            found.append(
                Case(
                    f"{label} filtered",
                    "admin",
                    admin_url(model, app_query),
                    admin_url(model, naive_query) if naive_query else None,
                    lists,
                )
            )
        if sort:
            found.append(
                Case(
                    f"{label} sorted {sort[1]}",
                    "admin",
                    admin_url(model, f"?o={sort[0]}"),
                    admin_url(model, f"?o={sort[0]}"),
                    lists,
                )
            )
        if search:
            found.append(
                Case(
                    f"{label} search",
                    "admin",
                    admin_url(model, f"?q={search}"),
                    admin_url(model, f"?q={search}"),
                    lists,
                )
            )
        if pages_key:
            page = t.deep(pages_key)
            found.append(
                Case(
                    f"{label} page {page}",
                    "admin",
                    admin_url(model, f"?p={page}"),
                    admin_url(model, f"?p={page}"),
                    deep,
                )
            )
        return found

    cases += changelist(OrganisationType, None)
    cases += changelist(
        Organisation,
        "organisations",
        filtered=(
            f"?type__id__exact={t.type_id}&is_active__exact=1",
            f"?type__id__exact={t.type_id}&is_active__exact=1",
        ),
        sort=(3, "type"),
        search=t.organisation_term,
    )
    cases += changelist(
        OrganisationName,
        "other_names",
        filtered=("?language__exact=ru", "?language__exact=ru"),
        sort=(2, "organisation"),
    )
    cases += changelist(
        OrganisationIdentifier,
        "identifiers",
        filtered=("?scheme__exact=STIR", "?scheme__exact=STIR"),
        sort=(3, "organisation"),
    )
    cases += changelist(
        Person,
        "people",
        filtered=("?do_not_contact__exact=1", "?do_not_contact__exact=1"),
        sort=(2, "email"),
        search=t.person_term,
    )
    cases += changelist(
        Position,
        "positions",
        filtered=("?current=yes", "?until__isnull=True"),
        sort=(3, "organisation"),
    )
    cases += changelist(Topic, None, sort=(2, "meetings"))
    cases += changelist(
        Meeting,
        "meetings",
        filtered=(
            f"?participant_type={t.type_slug}",
            f"?attendances__organisation__type__id__exact={t.type_id}",
        ),
        sort=(3, "host"),
        search=t.meeting_term,
    )
    cases.append(
        Case(
            "admin meeting ?starts_at__year",
            "admin",
            admin_url(Meeting, f"?starts_at__year={year}"),
            admin_url(Meeting, f"?starts_at__year={year}"),
            lists,
        )
    )
    cases += changelist(AgendaItem, "agenda_items", sort=(2, "meeting"))
    cases += changelist(
        Attendance,
        "attendance",
        filtered=(
            f"?status__exact=attended&organisation__type__id__exact={t.type_id}",
            f"?status__exact=attended&organisation__type__id__exact={t.type_id}",
        ),
        sort=(2, "organisation"),
        search=t.organisation_term,
    )
    cases += changelist(
        FollowUp,
        "follow_ups",
        filtered=("?status__exact=open", "?status__exact=open"),
        sort=(3, "owner organisation"),
    )

    # Admin forms
    form = ("form",)
    cases += [
        Case(
            "admin attendance add",
            "form",
            admin_url(Attendance, "add/"),
            admin_url(Attendance, "add/"),
            form,
        ),
        Case(
            "admin attendance change",
            "form",
            admin_url(Attendance, f"{t.attendance}/change/"),
            admin_url(Attendance, f"{t.attendance}/change/"),
            form,
        ),
        Case(
            "admin meeting change (busiest)",
            "form",
            admin_url(Meeting, f"{meeting}/change/"),
            admin_url(Meeting, f"{meeting}/change/"),
        ),
        Case(
            "admin meeting add",
            "form",
            admin_url(Meeting, "add/"),
            admin_url(Meeting, "add/"),
        ),
        Case(
            "admin organisation change (busiest)",
            "form",
            admin_url(Organisation, f"{org}/change/"),
            admin_url(Organisation, f"{org}/change/"),
        ),
        Case(
            "admin person change (busiest)",
            "form",
            admin_url(Person, f"{person}/change/"),
            admin_url(Person, f"{person}/change/"),
        ),
    ]

    # Search as you type. A default build has no admin autocomplete (its forms
    # carry a <select> instead, measured above).
    def autocomplete(field_name, term):
        return (
            "/admin/autocomplete/?app_label=meetings&model_name=attendance"
            f"&field_name={field_name}&term={term}"
        )

    cases += [
        Case(
            "admin autocomplete organisation",
            "autocomplete",
            autocomplete("organisation", t.organisation_term),
        ),
        Case(
            "admin autocomplete person",
            "autocomplete",
            autocomplete("person", t.person_term),
        ),
        Case(
            "admin autocomplete meeting",
            "autocomplete",
            autocomplete("meeting", t.meeting_term),
        ),
        Case(
            "suggest organisations",
            "autocomplete",
            f"/organisations/suggest/?q={t.organisation_term}",
            f"/organisations/suggest/?q={t.organisation_term}",
        ),
        Case(
            "suggest people",
            "autocomplete",
            f"/people/suggest/?q={t.person_term}",
            f"/people/suggest/?q={t.person_term}",
        ),
        Case(
            "suggest meetings",
            "autocomplete",
            f"/meetings/suggest/?q={t.meeting_term}",
            f"/meetings/suggest/?q={t.meeting_term}",
        ),
    ]
    return cases + api_cases(t)


def api_cursor(position):
    """A cursor of the API's lists at a record's id (rest_framework's own
    encoding: the position, base64): a page in the middle of a table."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


def api_cases(t):
    """Issue 14's: the REST API's lists with the HTML lists' filters, 50
    records a page, and 200 (the most a page holds); a page from the middle
    of the attendance (cursor pages all cost the same: WHERE id > n)."""
    org, person, meeting = t.organisation, t.person, t.meeting
    lists = ("list",)

    def api(name, path, query=""):
        return Case(f"api {name}", "api", f"/api/v1/{path}/{query}", checks=lists)

    return [
        api("organisations", "organisations"),
        api("organisations page_size=200", "organisations", "?page_size=200"),
        api(
            "organisations ?type&attended",
            "organisations",
            f"?type={t.type_slug}&attended={meeting}",
        ),
        api("organisations ?q", "organisations", f"?q={t.organisation_term}"),
        api("people", "people"),
        api("people ?q", "people", f"?q={t.person_term}"),
        api("people ?type", "people", f"?type={t.type_slug}"),
        api("people ?organisation (busiest)", "people", f"?organisation={org}"),
        api("positions ?person (busiest)", "positions", f"?person={person}"),
        api("meetings", "meetings"),
        api("meetings page_size=200", "meetings", "?page_size=200"),
        api("meetings ?type", "meetings", f"?type={t.type_slug}"),
        api("attendance", "attendance"),
        api("attendance page_size=200", "attendance", "?page_size=200"),
        api(
            "attendance from the middle",
            "attendance",
            f"?cursor={api_cursor(t.attendance)}",
        ),
        api("attendance ?meeting (busiest)", "attendance", f"?meeting={meeting}"),
        api(
            "attendance ?organisation (busiest)",
            "attendance",
            f"?organisation={org}",
        ),
        api("attendance ?type", "attendance", f"?type={t.type_slug}"),
        api("follow-ups ?overdue", "follow-ups", "?overdue=true"),
        api("agenda items ?topic", "agenda-items", f"?topic={t.topic}"),
        Case(
            "api organisation (busiest)",
            "api",
            f"/api/v1/organisations/{org}/",
        ),
    ]


def typo(name):
    """``name`` with the last two different neighbouring letters of its
    longest word (the last of the longest: a person's family name) swapped:
    "Sisoev" typed "Sisove"."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: (len(words[i]), i))
    word = words[longest]
    for at in range(len(word) - 1, 0, -1):
        if word[at - 1].lower() != word[at].lower():
            words[longest] = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
            break
    return " ".join(words)


def duplicate_cases(t):
    """Issue 15's: the add forms' duplicate warning, for a name on record
    typed again (an organisation's in lower case; a person's Cyrillic name in
    Latin letters, family name first) and with a typo, through a bench-only
    view (``bench.app_urls``: the warning alone, without the form); the
    review pages of the pairs ``find_duplicates`` stored, first page and the
    best score band; and ``find_duplicates`` itself for each kind, run once in
    a fresh process (wall time and peak memory; it stores the pairs again).

    Not in ``app_cases``: the review pages list the pairs the finder stored,
    which the data of tests/test_query_counts_at_scale.py has none of. Their
    queries are pinned in tests/duplicates/test_review_admin.py, the
    warning's in tests/duplicates/test_add_warnings.py."""
    latin = iuliia.UZ.translate(t.person_name)

    def warning(label, kind, name):
        return Case(
            f"duplicates warning {label}",
            "duplicates",
            f"/bench/duplicates/{kind}/?{urlencode({'name': name})}",
            checks=("form",),
            urlconf="bench.app_urls",
            note=f"typed: {name}",
        )

    lists = ("list", "lte_floor")
    cases = [
        warning(
            "organisation, same name", "organisations", t.organisation_name.lower()
        ),
        warning("organisation, a typo", "organisations", typo(t.organisation_name)),
        warning(
            "person, other script and order",
            "people",
            " ".join(reversed(latin.split())),
        ),
        warning("person, a typo", "people", typo(latin)),
    ]
    for model, label in [(OrganisationPair, "organisation"), (PersonPair, "person")]:
        cases += [
            Case(
                f"admin duplicates {label} pairs",
                "duplicates",
                admin_url(model),
                checks=lists,
            ),
            Case(
                f"admin duplicates {label} pairs ?score=90",
                "duplicates",
                admin_url(model, "?score=90"),
                checks=lists,
            ),
        ]
    for kind in ("organisations", "people"):
        command = f"find_duplicates --no-progress --kind {kind}"
        cases.append(
            Case(
                f"find_duplicates {kind}",
                "duplicates",
                f"manage.py {command}",
                checks=("command",),
                command=command,
            )
        )
    return cases


def export_cases(t):
    """The downloads: every CSV export of the app (the people list is the
    largest), one XLSX, and an attendance export the app does not have, built
    with the app's streaming helper (see bench.app_urls)."""
    return [
        Case(
            "export organisations.csv",
            "export",
            "/organisations/export.csv",
            "/organisations/export.csv",
            ("export",),
            export=True,
        ),
        Case(
            "export people.csv (largest list)",
            "export",
            "/people/export.csv",
            "/people/export.csv",
            ("export",),
            export=True,
        ),
        Case(
            "export meetings.csv",
            "export",
            "/meetings/export.csv",
            "/meetings/export.csv",
            ("export",),
            export=True,
        ),
        Case(
            "export follow-ups.csv",
            "export",
            "/follow-ups/export.csv",
            None,
            ("export",),
            export=True,
        ),
        Case(
            "export follow-ups.xlsx ?overdue",
            "export",
            "/follow-ups/export.xlsx?overdue=true",
            None,
            export=True,
        ),
        Case(
            "export organisations.xlsx",
            "export",
            "/organisations/export.xlsx",
            None,
            export=True,
        ),
        Case(
            "export attendance.csv ?type=donor",
            "export",
            "/attendance/export.csv?type=donor",
            None,
            ("export",),
            export=True,
        ),
        Case(
            "export attendance.xlsx ?type=donor",
            "export",
            "/attendance/export.xlsx?type=donor",
            None,
            export=True,
        ),
        Case(
            "export attendance pivot.csv",
            "export",
            "/attendance/export.csv?view=pivot",
            None,
            export=True,
        ),
        Case(
            "export attendance pivot.xlsx ?type=donor",
            "export",
            "/attendance/export.xlsx?view=pivot&type=donor",
            None,
            export=True,
        ),
        Case(
            "export map assessments.csv",
            "export",
            "/map/export.csv",
            None,
            ("export",),
            export=True,
        ),
        Case(
            "export map assessments.xlsx ?type=donor",
            "export",
            "/map/export.xlsx?type=donor",
            None,
            export=True,
        ),
        Case("export map.svg", "export", "/map/map.svg", None, export=True),
        Case(
            "export attendance.csv (bench-only, app helper)",
            "export",
            "/bench/attendance/export.csv",
            "/bench/attendance/export.csv",
            ("export",),
            export=True,
            urlconf="bench.app_urls",
            note="The app has no attendance export: this one streams with "
            "core.exports.csv_response, as an app export would.",
        ),
    ]

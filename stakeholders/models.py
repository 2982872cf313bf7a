import functools
import operator

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Prefetch, Q, Value
from django.db.models.functions import Coalesce, Lower, StrIndex
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import (
    get_language,
    gettext,
    gettext_noop,
    pgettext_lazy,
)
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from core.models import DERIVED_FIELDS, VersionedModel
from core.search import closeness, generated_search_key


def meeting_stats_indexes(prefix):
    """The lists' "most met" and "met most recently" sorts: ORDER BY
    meetings_attended DESC, id and last_met DESC, id, read from an index."""
    return [
        models.Index(
            fields=["-meetings_attended", "id"], name=f"{prefix}_meetings_idx"
        ),
        models.Index(fields=["-last_met", "id"], name=f"{prefix}_last_met_idx"),
    ]


def organisation_types_field():
    """The ids of organisation types a row is linked to, stored as ",3,7," (an
    id may appear twice) and kept right by meetings.stats, so that a type
    filter is a test on the row itself rather than a search of the linked rows
    (see ``of_organisation_types``)."""
    return models.TextField(_("organisation types"), default=",", editable=False)


def of_organisation_types(types):
    """A condition: the row's stored ``organisation_types`` holds any of
    ``types`` (as ``OrganisationQuerySet.of_type`` takes them): the people and
    meetings lists' way to say "of organisations of type X".

    A plain substring test on the row, so a list in its own order (an index
    holding the key, for the people) stops at its first 50 matches instead of
    collecting every person of the type first: /people/?type=donor at 500,000
    people read 60,000 of them and sorted them (200 ms) to show 50 (1 ms).

    Measured against "people with a position or attendance at an
    organisation of ``Organisation.objects.of_type``" as IN subqueries
    (issue 11; median ms, stored / subquery): PostgreSQL at XL, /people/?type=
    54 / 431 (heaviest SQL 1.4 / 463 ms), ministries 41 / 295,
    /meetings/?type= 63 / 237 (SQL 0.6 / 149), ministries 79 / 163, past the
    150 ms target; at L 24 / 73 and 52 / 68; SQLite at XL 49 / 260 and
    50 / 212, ministries 64 / 353. Kept.
    """
    ids = organisation_type_ids(types)
    if not ids:
        return Q(pk__in=[])
    return functools.reduce(
        operator.or_,
        (
            Q(GreaterThan(StrIndex("organisation_types", Value(f",{pk},")), 0))
            for pk in ids
        ),
    )


class IatiOrganisationType(models.TextChoices):
    """The IATI OrganisationType codelist."""

    GOVERNMENT = "10", _("Government")
    LOCAL_GOVERNMENT = "11", _("Local Government")
    OTHER_PUBLIC_SECTOR = "15", _("Other Public Sector")
    INTERNATIONAL_NGO = "21", _("International NGO")
    NATIONAL_NGO = "22", _("National NGO")
    REGIONAL_NGO = "23", _("Regional NGO")
    PARTNER_COUNTRY_NGO = "24", _("Partner Country based NGO")
    PUBLIC_PRIVATE_PARTNERSHIP = "30", _("Public Private Partnership")
    MULTILATERAL = "40", _("Multilateral")
    FOUNDATION = "60", _("Foundation")
    PRIVATE_SECTOR = "70", _("Private Sector")
    PRIVATE_SECTOR_PROVIDER = "71", _("Private Sector in Provider Country")
    PRIVATE_SECTOR_RECIPIENT = "72", _("Private Sector in Aid Recipient Country")
    PRIVATE_SECTOR_THIRD = "73", _("Private Sector in Third Country")
    ACADEMIC = "80", _("Academic, Training and Research")
    OTHER = "90", pgettext_lazy("organisation type", "Other")


class OrganisationTypeQuerySet(models.QuerySet):
    def refresh_active_organisations(self):
        """Store the number of active organisations of each of these types
        (one UPDATE). Called by whatever adds or deletes an organisation or
        changes its type or whether it is active: the admin, the import, the
        demo loader, the generator, ``manage.py refresh_meeting_stats``."""
        active = (
            Organisation.objects.active()
            .filter(type=models.OuterRef("pk"))
            .order_by()
            .values("type")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.update(active_organisations=Coalesce(models.Subquery(active), 0))


# The names of the organisation types the migrations seed
# (0002_default_organisation_types): the vocabulary of the interface more than
# data, so a type named so is shown in the reader's language. A type an
# administrator adds, or renames, is shown as written.
SEEDED_TYPE_NAMES = frozenset(
    [
        gettext_noop("Ministry"),
        gettext_noop("Government agency"),
        gettext_noop("State fund"),
        gettext_noop("Project office"),
        gettext_noop("Integrator"),
        gettext_noop("Donor / development bank"),
        gettext_noop("UN agency"),
        gettext_noop("International organisation"),
        gettext_noop("NGO"),
        gettext_noop("Academic"),
        gettext_noop("Private sector"),
        gettext_noop("Other"),
    ]
)


def type_label(name):
    """An organisation type's name as the reader reads it (see
    ``SEEDED_TYPE_NAMES``)."""
    return gettext(name) if name in SEEDED_TYPE_NAMES else name


class OrganisationType(VersionedModel):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        help_text=_("Used in addresses and filters, e.g. “donor”. Change with care."),
    )
    iati_code = models.CharField(
        _("IATI organisation type"),
        max_length=2,
        choices=IatiOrganisationType,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    # The home page's figure for each type. Counted there, it grew with the
    # organisations: 44 ms of the home page's 58 ms on PostgreSQL at XL, six
    # times its time at L (issue 18). Kept by refresh_active_organisations().
    active_organisations = models.PositiveIntegerField(
        _("active organisations"), default=0, editable=False
    )

    objects = OrganisationTypeQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version", "active_organisations"])

    class Meta:
        verbose_name = _("organisation type")
        verbose_name_plural = _("organisation types")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="organisationtype_name_unique_ci",
                violation_error_code="organisationtype_name_unique_ci",
                violation_error_message=_(
                    "An organisation type with this name exists."
                ),
            ),
        ]

    constraint_error_fields = {"organisationtype_name_unique_ci": "name"}

    def __str__(self):
        return type_label(self.name)

    def get_absolute_url(self):
        return f"{reverse('organisations:list')}?type={self.slug}"


def organisation_type_ids(types):
    """The ids of ``types``: OrganisationType objects, ids or slugs (looked
    up, one query), in a list or alone. What ``OrganisationQuerySet.of_type``
    and ``of_organisation_types`` filter by."""
    if isinstance(types, OrganisationType | int | str):
        types = [types]
    ids, slugs = set(), []
    for kind in types:
        if isinstance(kind, str):
            slugs.append(kind)
        else:
            ids.add(getattr(kind, "pk", kind))
    if slugs:
        ids.update(
            OrganisationType.objects.filter(slug__in=slugs).values_list("pk", flat=True)
        )
    return sorted(ids)


class OrganisationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of_type(self, types):
        """Organisations of any of ``types``: OrganisationType objects, ids or
        slugs, in a list or alone (``of_type("donor")``).

        The one definition of "organisations of type X": the lists, their
        exports and the admin's filters all narrow by type through this, or,
        where each row stores the types of its organisations (people and
        meetings), through ``of_organisation_types`` with the same ids."""
        return self.filter(type__in=organisation_type_ids(types))

    def with_local_name(self, language=None):
        """Each organisation with ``local_name``: its current name recorded
        for the reader's language (``name_language``), or None. A subquery in
        the organisations' own query (the export's); a page of model
        instances reads them with ``attach_local_names`` instead."""
        return self.annotate(local_name=local_name_of("pk", language))

    def search(self, term):
        """Organisations whose name, acronym or one of whose other names contains
        ``term`` in any script and spelling (``core.names.search_terms``:
        "Узинфоком" finds UZINFOCOM, "Sog'liqni" finds "Sogʻliqni"). Other
        names are matched as a set of organisation ids (IN), so that an
        organisation with several matching names is listed once."""
        term = term.strip()
        if not term:
            return self
        # One set of ids (IN), search_ids' union, each part read from its
        # search index. An OR of the two parts reads well for a word in a
        # tenth of the names, but PostgreSQL cannot estimate it (it takes
        # half the table for the other names' part) and so walks the list's
        # name index for any word, testing every organisation's key: at XL,
        # 117-138 ms for a word in a few dozen names ("pratt", "green"), 4 ms
        # with the union; for "health", in a tenth, 28 ms against 111.
        return self.filter(pk__in=self.search_ids(term))

    def search_ids(self, term):
        """The ids of the organisations ``search(term)`` finds, as a subquery
        (what the meeting search joins the attendance with): those whose own
        key has the term, and those of the other names whose key has it. A
        union, each part read from its search index (see
        core.search.Includes): in an OR of the two, PostgreSQL would read
        every organisation to test its key beside the other names' set."""
        own = self.filter(search_key__includes=term).order_by()
        other_names = OrganisationName.objects.search(term).order_by()
        return own.values_list("pk", flat=True).union(
            other_names.values_list("organisation", flat=True), all=True
        )

    def closeness(self, term):
        """How closely each organisation matches ``term``, its other names
        included (``core.search.closeness``)."""
        return closeness(
            term, related=[(OrganisationName.objects.order_by(), "organisation")]
        )


def organisation_label(name, acronym):
    """An organisation as it is named everywhere (``str(organisation)``):
    its name, and its acronym in brackets where that is not the name again.
    A function of the two values, so that an export can name the
    organisations of its rows without building them."""
    if acronym and acronym.casefold() != name.casefold():
        return f"{name} ({acronym})"
    return name


class Organisation(VersionedModel):
    name = models.CharField(_("name"), max_length=255)
    acronym = models.CharField(
        _("short name / acronym"), max_length=50, blank=True, db_index=True
    )
    type = models.ForeignKey(
        OrganisationType,
        verbose_name=pgettext_lazy("organisation", "type"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("The organisation this one is part of or reports to."),
    )
    country = CountryField(_("country"), blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.TextField(_("address"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(
        pgettext_lazy("organisation", "active"),
        default=True,
        help_text=_("Inactive organisations (closed, merged, renamed) keep history."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    search_key = generated_search_key("name", "acronym")
    # Derived from the attendance rows and kept right by meetings.stats:
    # distinct meetings with an "attended" row, and the start of the latest.
    meetings_attended = models.PositiveIntegerField(
        _("meetings attended"), default=0, editable=False
    )
    last_met = models.DateTimeField(
        _("last met"), null=True, blank=True, editable=False
    )

    history = HistoricalRecords(excluded_fields=DERIVED_FIELDS)
    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # The organisation lists, page N: ORDER BY name, id LIMIT 50 OFFSET k
        # walks this index instead of sorting every organisation.
        indexes = [
            models.Index(fields=["name", "id"], name="organisation_name_idx"),
            *meeting_stats_indexes("organisation"),
            # The home page's active organisations per type, counted from this
            # index rather than from every organisation's row.
            models.Index(fields=["type", "is_active"], name="organisation_type_idx"),
            # The admin's country filter: SELECT DISTINCT country, read from
            # this index instead of sorting every organisation's country.
            models.Index(fields=["country"], name="organisation_country_idx"),
            # The start page's dormant partners and those never met:
            # SELECT COUNT(*) WHERE is_active AND last_met < %s (and IS NULL),
            # counted from this index alone. On PostgreSQL at XL, 80,000 of
            # the 100,000 rows: 42 ms reading the table, 8 ms from this index
            # (meetings/dashboard.py, dormant).
            models.Index(
                fields=["last_met"],
                condition=Q(is_active=True),
                name="organisation_active_met_idx",
            ),
            # The start page's organisations met in the last 90 days by type
            # (meetings/dashboard.py, met_by_type), counted from this index
            # alone: at XL, 7,600 of 100,000 rows, 22 → 2 ms on SQLite and
            # 10 → 2 ms on PostgreSQL (an index-only scan).
            models.Index(fields=["last_met", "type"], name="organisation_met_type_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(is_active=True),
                name="organisation_active_name_unique_ci",
                violation_error_code="organisation_active_name_unique_ci",
                violation_error_message=_(
                    "An active organisation with this name already exists."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="organisation_not_own_parent",
                violation_error_code="organisation_not_own_parent",
                violation_error_message=_("An organisation cannot be its own parent."),
            ),
        ]

    constraint_error_fields = {
        "organisation_active_name_unique_ci": "name",
        "organisation_not_own_parent": "parent",
    }

    def __str__(self):
        return organisation_label(self.name, self.acronym)

    def get_absolute_url(self):
        return reverse("organisations:detail", args=[self.pk])

    @property
    def display_name(self):
        """The name to show the reader: the one recorded for their language
        when ``attach_local_names`` found one, else the official name. Never a
        query: without ``attach_local_names`` it is the official name."""
        return getattr(self, "local_name", None) or self.name

    def clean(self):
        super().clean()
        if self.parent_id is None:
            return
        # One query per level: hierarchies here are a few levels deep.
        seen = set()
        ancestor = self.parent
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError(
                    {
                        "parent": _(
                            "%(parent)s is part of %(organisation)s: an organisation "
                            "cannot be its own ancestor."
                        )
                        % {"parent": self.parent, "organisation": self}
                    },
                    code="organisation_cycle",
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class OrganisationNameQuerySet(models.QuerySet):
    def search(self, term):
        """Other names that contain ``term`` in any script and spelling (see
        ``core.names.search_terms``)."""
        term = term.strip()
        if not term:
            return self
        return self.filter(search_key__includes=term)


class OrganisationName(VersionedModel):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        RUSSIAN = "ru", _("Russian")
        UZBEK_LATIN = "uz-latn", _("Uzbek (Latin)")
        UZBEK_CYRILLIC = "uz-cyrl", _("Uzbek (Cyrillic)")
        OTHER = "other", pgettext_lazy("language", "Other")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="other_names",
    )
    name = models.CharField(_("name"), max_length=255)
    language = models.CharField(
        _("language"), max_length=10, choices=Language, blank=True
    )
    is_former = models.BooleanField(
        _("former name"), default=False, help_text=_("A name no longer in use.")
    )
    search_key = generated_search_key("name")

    history = HistoricalRecords(excluded_fields=["version", "search_key"])
    objects = OrganisationNameQuerySet.as_manager()

    class Meta:
        verbose_name = _("other name")
        verbose_name_plural = _("other names")
        ordering = ["organisation_id", "name"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("name"),
                name="organisationname_unique_ci",
                violation_error_code="organisationname_unique_ci",
                violation_error_message=_("This organisation already has this name."),
            ),
        ]

    constraint_error_fields = {"organisationname_unique_ci": "name"}

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.organisation.get_absolute_url()


# The interface's languages and the language of an organisation's name their
# readers read: Uzbek is written in Latin script officially.
NAME_LANGUAGES = {
    "uz": OrganisationName.Language.UZBEK_LATIN,
    "ru": OrganisationName.Language.RUSSIAN,
    "en": OrganisationName.Language.ENGLISH,
}


def name_language(language=None):
    """The ``OrganisationName.Language`` a reader of the interface language
    ``language`` (by default the active one: ``uz``, ``ru``, ``en-gb``) reads
    names in, or None."""
    language = (language or get_language() or "").lower()
    return NAME_LANGUAGES.get(language.split("-")[0])


def local_name_of(organisation, language=None):
    """An expression: the current name recorded for the reader's language
    (``name_language``) of the organisation whose key is in the column
    ``organisation`` of the outer query, or None (a subquery per row)."""
    language = name_language(language)
    if language is None:
        return Value(None, models.CharField())
    names = OrganisationName.objects.filter(
        organisation=models.OuterRef(organisation),
        language=language,
        is_former=False,
    ).order_by("pk")
    return models.Subquery(names.values("name")[:1])


def attach_local_names(organisations, language=None):
    """Set ``local_name`` on each of ``organisations`` (model instances, in
    any number, repeated or None): the name recorded for the reader's
    language that is not a former one (the first recorded when there are
    several), or None, read by ``Organisation.display_name``.

    One query for them all, none when there is no organisation or the
    language has no names."""
    organisations = [o for o in organisations if o is not None]
    language = name_language(language)
    names = {}
    if organisations and language is not None:
        for organisation_id, name in (
            OrganisationName.objects.filter(
                organisation__in={o.pk for o in organisations},
                language=language,
                is_former=False,
            )
            .order_by("-pk")
            .values_list("organisation_id", "name")
        ):
            names[organisation_id] = name
    for organisation in organisations:
        organisation.local_name = names.get(organisation.pk)
    return organisations


class OrganisationIdentifier(VersionedModel):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="identifiers",
    )
    scheme = models.CharField(
        _("scheme"),
        max_length=50,
        help_text=_("The register that issued the value, e.g. XM-DAC, IATI, STIR."),
    )
    value = models.CharField(_("value"), max_length=100)

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "value"],
                name="organisationidentifier_unique",
                violation_error_code="organisationidentifier_unique",
                violation_error_message=_(
                    "This identifier is already recorded in this scheme."
                ),
            ),
        ]

    constraint_error_fields = {"organisationidentifier_unique": "value"}

    def __str__(self):
        return f"{self.scheme} {self.value}"

    def get_absolute_url(self):
        return self.organisation.get_absolute_url()


class PersonQuerySet(models.QuerySet):
    def search(self, term):
        """People whose name or email contains ``term`` in any script and
        spelling (``core.names.search_terms``)."""
        term = term.strip()
        if not term:
            return self
        # A set of ids (IN), from the search index or, for a term of one or
        # two characters, one read of the table: see core.search.Includes.
        return self.filter(search_key__includes=term)

    def closeness(self, term):
        """How closely each person's name or email matches ``term``
        (``core.search.closeness``)."""
        return closeness(term)

    def with_email(self, email):
        """The person whose email is ``email``, ignoring case: at most one
        (``person_email_unique_ci``, whose index serves this), none for an
        empty ``email``."""
        if not email:
            return self.none()
        return self.alias(email_key=Lower("email")).filter(
            ~Q(email=""), email_key=email.lower()
        )

    def with_current_positions(self):
        """Prefetch today's positions, with their organisations, into
        ``current_positions`` (one extra query for the whole page)."""
        return self.prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.current().select_related("organisation"),
                to_attr="current_positions",
            )
        )


class Person(VersionedModel):
    full_name = models.CharField(_("full name"), max_length=255)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    do_not_contact = models.BooleanField(
        _("do not contact"),
        default=False,
        help_text=_("The person asked not to be contacted."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    search_key = generated_search_key("full_name", "email")
    # Derived from the attendance rows and kept right by meetings.stats:
    # distinct meetings with an "attended" row, and the start of the latest.
    meetings_attended = models.PositiveIntegerField(
        _("meetings attended"), default=0, editable=False
    )
    last_met = models.DateTimeField(
        _("last met"), null=True, blank=True, editable=False
    )
    # The types of the organisations they held a position at or attended on
    # behalf of (people?type), kept right by meetings.stats.
    organisation_types = organisation_types_field()

    history = HistoricalRecords(excluded_fields=[*DERIVED_FIELDS, "organisation_types"])
    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]
        # The people lists, page N: ORDER BY full_name, id LIMIT 50 OFFSET k;
        # with ?type=, the same walk tests organisation_types in the index.
        indexes = [
            models.Index(
                fields=["full_name", "id", "organisation_types"],
                name="person_name_types_idx",
            ),
            *meeting_stats_indexes("person"),
            # The admin's people sorted by email: ORDER BY email, full_name,
            # id (the column, then the model's ordering). On (email, id) alone
            # PostgreSQL at XL sorted the 50,000 people without an email by
            # name before the first page: 118 ms against a target of 101.
            models.Index(
                fields=["email", "full_name", "id"], name="person_email_name_idx"
            ),
            # The admin's "do not contact" filter, a few people in 500,000:
            # WHERE do_not_contact ORDER BY full_name, id from this index
            # instead of every person's row tested along the name index.
            models.Index(
                fields=["full_name", "id"],
                condition=Q(do_not_contact=True),
                name="person_do_not_contact_idx",
            ),
        ]
        permissions = [
            ("export_personal_data", _("Can export everything held about a person")),
            ("erase_person", _("Can erase a person and their history")),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="person_email_unique_ci",
                violation_error_code="person_email_unique_ci",
                violation_error_message=_("A person with this email already exists."),
            ),
        ]

    constraint_error_fields = {"person_email_unique_ci": "email"}

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("people:detail", args=[self.pk])


class PositionQuerySet(models.QuerySet):
    def current(self, on=None):
        """Positions held on ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(
            Q(since__isnull=True) | Q(since__lte=on),
            Q(until__isnull=True) | Q(until__gte=on),
        )


class Position(VersionedModel):
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="positions",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="positions",
    )
    title = models.CharField(
        pgettext_lazy("position", "title"), max_length=255, blank=True
    )
    department = models.CharField(_("department"), max_length=255, blank=True)
    since = models.DateField(pgettext_lazy("position", "from"), null=True, blank=True)
    until = models.DateField(
        pgettext_lazy("position", "until"),
        null=True,
        blank=True,
        help_text=_("Empty while current."),
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords(excluded_fields=["version"])
    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = [F("until").desc(nulls_first=True), F("since").desc(nulls_last=True)]
        constraints = [
            models.CheckConstraint(
                condition=Q(since__isnull=True)
                | Q(until__isnull=True)
                | Q(until__gte=F("since")),
                name="position_ends_after_it_begins",
                violation_error_code="position_ends_after_it_begins",
                violation_error_message=_("A position cannot end before it begins."),
            ),
        ]

    constraint_error_fields = {"position_ends_after_it_begins": "until"}

    def __str__(self):
        role = self.title or _("Position")
        return _("%(role)s, %(organisation)s") % {
            "role": role,
            "organisation": self.organisation,
        }

    def get_absolute_url(self):
        return self.person.get_absolute_url()

    @property
    def is_current(self):
        today = timezone.localdate()
        return (self.since is None or self.since <= today) and (
            self.until is None or self.until >= today
        )


# Defined beside the map's other code; imported here so that Django finds the
# model in the app's models module.
from .assessments import Assessment  # noqa: E402, F401

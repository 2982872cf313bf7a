"""The sample data's per-table writers: the fast row writer and the generator
of organisations, people, topics, meetings and attendance, row by row."""

import bisect
import datetime
import itertools
import random

from django.db import connection, models
from django.db.models import Max
from faker import Faker
from tqdm import tqdm

from bench.sample_assessments import assessments_write
from bench.sample_plan import (
    ANCHOR,
    BATCH_SIZE,
    CREATED_AT,
    FIRST_DAY,
    LAST_DAY,
    TASHKENT,
    Counts,
)
from bench.sample_vocabulary import (
    ACTIONS,
    ATTENDANCE_STATUSES,
    CHILD_PATTERNS,
    COUNTRIES,
    DEPARTMENTS,
    MEETING_KINDS,
    NAME_PATTERNS,
    REGIONS,
    RUSSIAN_NAMES,
    SUBJECTS,
    TITLES,
    TOPICS,
    TYPE_SHARES,
    UZBEK_NAMES,
)
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from stakeholders.models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)


class _Writer:
    """Writes rows of one model with explicit primary keys, fast: ``COPY`` on
    PostgreSQL, ``executemany`` in batches elsewhere.

    ``fields`` names the values of each row, in order; any other concrete field
    gets its default, so that a field added to a model later does not break the
    generator. Date and datetime values are adapted as the backend stores them.
    """

    def __init__(self, model, field_names, *, progress, desc):
        self.model = model
        opts = model._meta
        self.fields = [opts.get_field(name) for name in field_names]
        given = {f.attname for f in self.fields}
        self.defaults = [
            f
            for f in opts.concrete_fields
            if f.attname not in given and not f.primary_key and not f.generated
        ]
        self.default_values = tuple(
            f.get_db_prep_save(f.get_default(), connection) for f in self.defaults
        )
        self.columns = [f.column for f in self.fields] + [
            f.column for f in self.defaults
        ]
        self.adapters = [self._adapter(f) for f in self.fields]
        self.progress = progress
        self.desc = desc

    @staticmethod
    def _adapter(field):
        if connection.vendor == "postgresql":
            return None
        if isinstance(field, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return connection.ops.adapt_datefield_value
        return None

    def _adapt(self, row):
        if any(self.adapters):
            row = tuple(
                value if adapt is None or value is None else adapt(value)
                for adapt, value in zip(self.adapters, row, strict=True)
            )
        return row + self.default_values

    def write(self, rows, total=None):
        """Write ``rows`` (an iterable of tuples); returns how many."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        written = 0
        bar = tqdm(
            total=total,
            desc=self.desc,
            unit=" rows",
            unit_scale=True,
            disable=not self.progress,
            leave=True,
        )
        with bar, connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {table} ({columns}) FROM STDIN"
                # A batch is gathered before its COPY starts: ``rows`` may be
                # a generator that queries the database, which cannot happen
                # on a connection in the middle of a COPY.
                for batch in _batched(rows, BATCH_SIZE * 5):
                    with cursor.cursor.copy(sql) as copy:
                        for row in batch:
                            copy.write_row(self._adapt(row))
                    written += len(batch)
                    bar.update(len(batch))
            else:
                placeholders = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
                for batch in _batched(rows, BATCH_SIZE):
                    cursor.executemany(sql, [self._adapt(row) for row in batch])
                    written += len(batch)
                    bar.update(len(batch))
            bar.update(written - bar.n)
        return written


def _batched(rows, size):
    """Lists of ``size`` rows (itertools.batched from Python 3.12 on)."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _zipf_cumulative(count, exponent=1.0):
    """Cumulative weights 1/1^s, 1/2^s, … 1/count^s, for ``bisect`` picks."""
    total, cumulative = 0.0, []
    for rank in range(1, count + 1):
        total += 1.0 / rank**exponent
        cumulative.append(total)
    return cumulative


def _next_id(model):
    return (model._base_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


class SampleGenerator:
    def __init__(self, plan, *, seed, progress):
        self.plan = plan
        # Reproducible on purpose: nothing here is a secret.
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311
        self.progress = progress
        self.counts = Counts()
        self.names = self._name_pools(seed)
        self.types = dict(OrganisationType.objects.values_list("slug", "pk"))
        missing = set(TYPE_SHARES) - set(self.types)
        if missing:
            # An administrator may rename or remove types; use what is there.
            self.type_shares = dict.fromkeys(self.types, 1)
        else:
            self.type_shares = TYPE_SHARES
        if not self.types:
            raise ValueError("There are no organisation types: run migrate first.")

    @staticmethod
    def _name_pools(seed):
        """Given and family names from Faker (Uzbek, Russian and English), drawn
        once: combining them at random is much faster than a Faker call a row."""
        pools = []
        for locale, share in [("uz_UZ", 5), ("ru_RU", 3), ("en_GB", 2)]:
            fake = Faker(locale)
            fake.seed_instance(seed)
            given = sorted({fake.first_name() for _ in range(400)})
            family = sorted({fake.last_name() for _ in range(400)})
            pools.append((share, given, family))
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        companies = sorted({fake.company() for _ in range(300)})
        cities = sorted({fake.city() for _ in range(100)})
        return {"people": pools, "companies": companies, "cities": cities}

    def writer(self, model, field_names, desc):
        return _Writer(model, field_names, progress=self.progress, desc=desc)

    def pick(self, cumulative):
        """An index into ``cumulative`` weights."""
        return bisect.bisect_left(cumulative, self.rng.random() * cumulative[-1])

    def run(self):
        self.organisations()
        self.people()
        self.topics()
        self.meetings()
        self.counts.assessments = assessments_write(self)
        return self.counts

    # Organisations

    def organisations(self):
        rng, plan = self.rng, self.plan
        first_id = _next_id(Organisation)
        slugs = list(self.type_shares)
        shares = list(self.type_shares.values())
        # The first organisations, one of each type, are the national core the
        # programme meets most; the rest are ranked at random.
        core = [slug for slug in TYPE_SHARES if slug in self.types][
            : plan.organisations
        ]
        self.org_ids = []
        self.org_level = []
        self.org_type = []
        self.org_names = []
        self.org_acronyms = []
        levels = {0: [], 1: [], 2: [], 3: []}
        rows = []
        for index in range(plan.organisations):
            pk = first_id + index
            if index < len(core):
                slug, level, parent_index = core[index], 0, None
            else:
                level = rng.choices([0, 1, 2, 3], weights=[35, 40, 18, 7])[0]
                parent_index = None
                if level and levels[level - 1]:
                    parent_index = rng.choice(levels[level - 1])
                else:
                    level = 0
                if parent_index is not None and rng.random() < 0.7:
                    slug = self.org_type[parent_index]
                else:
                    slug = rng.choices(slugs, weights=shares)[0]
            levels[level].append(index)
            active = index < len(core) or rng.random() >= 0.05
            if parent_index is not None:
                pattern = rng.choice(CHILD_PATTERNS)
            else:
                pattern = NAME_PATTERNS.get(slug, "Sample {subject} Organisation")
            name = pattern.format(
                subject=rng.choice(SUBJECTS),
                city=rng.choice(self.names["cities"]),
                company=rng.choice(self.names["companies"]),
                region=rng.choice(REGIONS),
            )
            if parent_index is not None:
                name = f"{name} of {self.org_acronyms[parent_index]}"
            name = f"{name} {pk}"
            if not active and index > 10 and rng.random() < 0.5:
                # A closed or renamed organisation's old record may carry the
                # name of an active one: unique among active ones only.
                name = self.org_names[rng.randrange(index)].upper()
            acronym = "".join(w[0] for w in name.split() if w[:1].isupper())[:8]
            acronym = f"{acronym}{pk}"[:50]
            country = "UZ" if rng.random() < 0.85 else rng.choice(COUNTRIES)
            rows.append(
                (
                    pk,
                    name[:255],
                    acronym,
                    self.types[slug],
                    first_id + parent_index if parent_index is not None else None,
                    country,
                    f"https://org{pk}.example.org" if rng.random() < 0.6 else "",
                    f"office{pk}@example.org" if rng.random() < 0.5 else "",
                    f"+998 00 {pk:07d}" if rng.random() < 0.4 else "",
                    "" if rng.random() < 0.7 else f"Sample street {pk}, Tashkent",
                    "" if rng.random() < 0.9 else "Sample data: not a real partner.",
                    active,
                    CREATED_AT,
                    CREATED_AT,
                )
            )
            self.org_ids.append(pk)
            self.org_level.append(level)
            self.org_type.append(slug)
            self.org_names.append(name)
            self.org_acronyms.append(acronym)
        self.counts.organisations = self.writer(
            Organisation,
            [
                "id",
                "name",
                "acronym",
                "type",
                "parent",
                "country",
                "website",
                "email",
                "phone",
                "address",
                "notes",
                "is_active",
                "created_at",
                "updated_at",
            ],
            "organisations",
        ).write(rows, total=len(rows))

        # Busy-ness: the core first, then a random order. Meetings pick
        # organisations with Zipf weights over this ranking.
        rest = list(range(len(core), plan.organisations))
        rng.shuffle(rest)
        self.org_rank = list(range(len(core))) + rest
        self.core_count = len(core)
        self.org_cumulative = _zipf_cumulative(plan.organisations)
        # Staff are spread less unevenly than attendance.
        self.staff_cumulative = _zipf_cumulative(plan.organisations, 0.5)

        other_names, identifiers = [], []
        name_id, identifier_id = (
            _next_id(OrganisationName),
            _next_id(OrganisationIdentifier),
        )
        for index, pk in enumerate(self.org_ids):
            if rng.random() < 0.5:
                other_names.append(
                    (
                        name_id,
                        pk,
                        f"{rng.choice(RUSSIAN_NAMES)} {pk}",
                        OrganisationName.Language.RUSSIAN,
                        False,
                    )
                )
                name_id += 1
            if rng.random() < 0.2:
                other_names.append(
                    (
                        name_id,
                        pk,
                        f"{rng.choice(UZBEK_NAMES)} {pk}",
                        OrganisationName.Language.UZBEK_LATIN,
                        False,
                    )
                )
                name_id += 1
            if rng.random() < 0.1:
                other_names.append(
                    (
                        name_id,
                        pk,
                        f"Sample former name of {pk}",
                        OrganisationName.Language.ENGLISH,
                        True,
                    )
                )
                name_id += 1
            if rng.random() < 0.3:
                scheme = "XM-DAC" if self.org_type[index] == "donor" else "STIR"
                identifiers.append((identifier_id, pk, scheme, f"{900_000_000 + pk}"))
                identifier_id += 1
        self.counts.other_names = self.writer(
            OrganisationName,
            ["id", "organisation", "name", "language", "is_former"],
            "other names",
        ).write(other_names, total=len(other_names))
        self.counts.identifiers = self.writer(
            OrganisationIdentifier,
            ["id", "organisation", "scheme", "value"],
            "identifiers",
        ).write(identifiers, total=len(identifiers))

    # People and their positions

    def people(self):
        rng, plan = self.rng, self.plan
        first_id = _next_id(Person)
        pools = self.names["people"]
        pool_weights = [share for share, _given, _family in pools]
        rows = []
        for index in range(plan.people):
            pk = first_id + index
            _share, given, family = rng.choices(pools, weights=pool_weights)[0]
            full_name = f"Sample {rng.choice(given)} {rng.choice(family)}"
            if rng.random() < 0.9:
                email = f"sample.person{pk}@example.org"
                if rng.random() < 0.05:
                    email = f"Sample.Person{pk}@Example.org"
            else:
                email = ""
            rows.append(
                (
                    pk,
                    full_name,
                    email,
                    f"+998 00 {pk % 10_000_000:07d}" if rng.random() < 0.7 else "",
                    "",
                    rng.random() < 0.02,
                    CREATED_AT,
                    CREATED_AT,
                )
            )
        self.counts.people = self.writer(
            Person,
            [
                "id",
                "full_name",
                "email",
                "phone",
                "notes",
                "do_not_contact",
                "created_at",
                "updated_at",
            ],
            "people",
        ).write(rows, total=len(rows))
        self.person_ids = [row[0] for row in rows]
        del rows

        # Positions: one to three jobs one after another, the last usually
        # current. Every organisation's staff list is what attendance rows
        # pick people from, so a few people represent an organisation often.
        self.staff = [[] for _ in self.org_ids]
        position_id = _next_id(Position)
        anchor_day = ANCHOR.date()

        def positions():
            nonlocal position_id
            for pk in self.person_ids:
                jobs = rng.choices([1, 2, 3], weights=[55, 30, 15])[0]
                since = datetime.date(
                    rng.randrange(2008, 2023), rng.randrange(1, 13), 1
                )
                for job in range(jobs):
                    org_index = self.org_rank[self.pick(self.staff_cumulative)]
                    last = job == jobs - 1
                    until = None
                    if not last or rng.random() < 0.15:
                        until = since + datetime.timedelta(
                            days=rng.randrange(180, 2200)
                        )
                        if until > anchor_day and not last:
                            until = anchor_day - datetime.timedelta(days=1)
                        until = max(until, since)
                    self.staff[org_index].append(pk)
                    yield (
                        position_id,
                        pk,
                        self.org_ids[org_index],
                        rng.choice(TITLES),
                        rng.choice(DEPARTMENTS),
                        None if rng.random() < 0.05 else since,
                        until,
                        "",
                    )
                    position_id += 1
                    if until is None:
                        break
                    since = until + datetime.timedelta(days=1)

        self.counts.positions = self.writer(
            Position,
            [
                "id",
                "person",
                "organisation",
                "title",
                "department",
                "since",
                "until",
                "notes",
            ],
            "positions",
        ).write(positions(), total=round(plan.people * 1.6))

    # Topics and meetings

    def topics(self):
        first_id = _next_id(Topic)
        rows = []
        for index in range(self.plan.topics):
            pk = first_id + index
            base = TOPICS[index % len(TOPICS)]
            rows.append((pk, f"Sample {base} {pk}", ""))
        self.counts.topics = self.writer(
            Topic, ["id", "name", "description"], "topics"
        ).write(rows, total=len(rows))
        self.topic_ids = [row[0] for row in rows]
        self.topic_cumulative = _zipf_cumulative(len(rows), 0.8)

    def _meeting_sizes(self):
        """Attendance rows per meeting: mostly a few dozen, some national
        conferences of hundreds; exactly ``plan.attendance`` in all."""
        rng, plan = self.rng, self.plan
        raw = [rng.lognormvariate(0, 0.8) for _ in range(plan.meetings)]
        total = sum(raw)
        exact = [r / total * plan.attendance for r in raw]
        sizes = [max(1, min(1500, int(x))) for x in exact]
        # Hand out what rounding left over, largest remainders first, the same
        # way every time.
        shortfall = plan.attendance - sum(sizes)
        order = sorted(range(len(exact)), key=lambda i: (int(exact[i]) - exact[i], i))
        step = 1 if shortfall > 0 else -1
        position = 0
        while shortfall:
            i = order[position % len(order)]
            if sizes[i] + step >= 1:
                sizes[i] += step
                shortfall -= step
            position += 1
        return sizes

    def meetings(self):
        rng, plan = self.rng, self.plan
        days = (LAST_DAY - FIRST_DAY).days
        starts = []
        for _ in range(plan.meetings):
            day = FIRST_DAY + datetime.timedelta(days=rng.randrange(days + 1))
            if day.weekday() >= 5:
                day -= datetime.timedelta(days=day.weekday() - 4)
            minutes = 9 * 60 + 30 * rng.randrange(16)
            starts.append((day, minutes))
        starts.sort()
        first_id = _next_id(Meeting)
        meetings = []
        for index, (day, minutes) in enumerate(starts):
            pk = first_id + index
            date_only = rng.random() < 0.1
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=TASHKENT)
            if not date_only:
                start += datetime.timedelta(minutes=minutes)
            end = None
            if rng.random() < 0.9:
                end = start + (
                    datetime.timedelta(days=1)
                    if date_only
                    else datetime.timedelta(minutes=60 * rng.randrange(1, 5))
                )
            if start >= ANCHOR:
                status = Meeting.Status.PLANNED
            else:
                status = (
                    Meeting.Status.CANCELLED
                    if rng.random() < 0.08
                    else Meeting.Status.HELD
                )
            fmt = rng.choices(
                [
                    Meeting.Format.IN_PERSON,
                    Meeting.Format.ONLINE,
                    Meeting.Format.HYBRID,
                ],
                weights=[60, 25, 15],
            )[0]
            host_index = (
                self.org_rank[self.pick(self.org_cumulative)]
                if rng.random() < 0.95
                else None
            )
            topic_base = TOPICS[rng.randrange(len(TOPICS))]
            meetings.append(
                (
                    pk,
                    f"Sample {rng.choice(MEETING_KINDS)} on {topic_base} {pk}",
                    start,
                    end,
                    date_only,
                    "Online"
                    if fmt == Meeting.Format.ONLINE
                    else f"Sample venue {rng.randrange(1, 200)}, {rng.choice(REGIONS)}",
                    fmt,
                    status,
                    self.org_ids[host_index] if host_index is not None else None,
                    "" if rng.random() < 0.5 else "Sample summary of the discussion.",
                    "" if rng.random() < 0.7 else "Sample outcome: next steps agreed.",
                    CREATED_AT,
                    CREATED_AT,
                    host_index,
                )
            )
        self.counts.meetings = self.writer(
            Meeting,
            [
                "id",
                "title",
                "starts_at",
                "ends_at",
                "date_only",
                "venue",
                "format",
                "status",
                "host",
                "summary",
                "outcomes",
                "created_at",
                "updated_at",
            ],
            "meetings",
        ).write((row[:-1] for row in meetings), total=len(meetings))

        # Initiators: the host, often, and one or two busy organisations.
        initiator_id = _next_id(Meeting.initiators.through)
        initiators = []
        for row in meetings:
            pk, host_index = row[0], row[-1]
            chosen = []
            if host_index is not None and rng.random() < 0.6:
                chosen.append(host_index)
            wanted = rng.choices([1, 2, 3], weights=[70, 25, 5])[0]
            for _ in range(10):
                if len(chosen) >= wanted:
                    break
                candidate = self.org_rank[self.pick(self.org_cumulative)]
                if candidate not in chosen:
                    chosen.append(candidate)
            for org_index in chosen:
                initiators.append((initiator_id, pk, self.org_ids[org_index]))
                initiator_id += 1
        self.counts.initiators = self.writer(
            Meeting.initiators.through,
            ["id", "meeting", "organisation"],
            "initiators",
        ).write(initiators, total=len(initiators))
        del initiators

        # Agenda: one to four topics, some far more common than others.
        item_id = _next_id(AgendaItem)
        items = []
        for row in meetings:
            chosen = []
            for _ in range(rng.choices([1, 2, 3, 4], weights=[30, 35, 25, 10])[0]):
                topic = self.topic_ids[self.pick(self.topic_cumulative)]
                if topic not in chosen:
                    chosen.append(topic)
            for order, topic in enumerate(chosen, start=1):
                items.append(
                    (
                        item_id,
                        row[0],
                        topic,
                        order,
                        "" if rng.random() < 0.7 else "Sample notes on this topic.",
                        "" if rng.random() < 0.8 else "Sample outcome.",
                    )
                )
                item_id += 1
        self.counts.agenda_items = self.writer(
            AgendaItem,
            ["id", "meeting", "topic", "order", "notes", "outcome"],
            "agenda items",
        ).write(items, total=len(items))
        del items

        follow_ups = []
        self.counts.attendance = self.writer(
            Attendance,
            ["id", "meeting", "organisation", "person", "role", "status", "notes"],
            "attendance",
        ).write(self._attendance(meetings, follow_ups), total=self.plan.attendance)
        self.counts.follow_ups = self.writer(
            FollowUp,
            [
                "id",
                "meeting",
                "action",
                "owner_organisation",
                "owner_person",
                "due_on",
                "status",
                "notes",
            ],
            "follow-ups",
        ).write(follow_ups, total=len(follow_ups))

    def _attendance(self, meetings, follow_ups):
        """Yield attendance rows meeting by meeting, and collect follow-ups
        owned by organisations and people who took part."""
        rng = self.rng
        sizes = self._meeting_sizes()
        row_id = _next_id(Attendance)
        follow_up_id = _next_id(FollowUp)
        carry = 0
        for meeting, size in zip(meetings, sizes, strict=True):
            pk, start, status, host_index = (
                meeting[0],
                meeting[2],
                meeting[7],
                meeting[-1],
            )
            target = size + carry
            statuses, weights = ATTENDANCE_STATUSES[status]
            rows = []
            roles = {}  # organisation index -> its role at this meeting
            taken = []  # (organisation index, person id or None), in order
            taken_set = set()
            attempts = 0
            queue = [host_index] if host_index is not None else []
            while len(rows) < target and attempts < 20 * target + 50:
                attempts += 1
                org_index = (
                    queue.pop()
                    if queue
                    else self.org_rank[self.pick(self.org_cumulative)]
                )
                room = target - len(rows)
                if org_index in roles:
                    # Organisations not there yet first; a crowded meeting (or
                    # a small data set) then gets more people from those that are.
                    if len(roles) < len(self.org_ids) and attempts < 3 * target:
                        continue
                    role, wanted = roles[org_index], 1
                else:
                    role = (
                        Attendance.Role.HOST
                        if org_index == host_index
                        else rng.choices(
                            [
                                Attendance.Role.PARTICIPANT,
                                Attendance.Role.PRESENTER,
                                Attendance.Role.OBSERVER,
                            ],
                            weights=[85, 7, 8],
                        )[0]
                    )
                    roles[org_index] = role
                    wanted = (
                        0
                        if rng.random() < 0.25
                        else min(
                            room, rng.choices([1, 2, 3, 4], weights=[60, 25, 10, 5])[0]
                        )
                    )
                people = [None] if not wanted else []
                staff = self.staff[org_index]
                for _ in range(wanted * 3):
                    if len(people) >= wanted:
                        break
                    if staff and rng.random() < 0.95:
                        # The first on the staff list represent it most.
                        person = staff[int(len(staff) * rng.random() ** 3)]
                    else:
                        person = rng.choice(self.person_ids)
                    if person not in people and (org_index, person) not in taken_set:
                        people.append(person)
                for person in people:
                    status_value = rng.choices(statuses, weights=weights)[0]
                    rows.append(
                        (
                            row_id,
                            pk,
                            self.org_ids[org_index],
                            person,
                            role,
                            status_value,
                            "" if rng.random() < 0.98 else "Sample note.",
                        )
                    )
                    taken.append((org_index, person))
                    taken_set.add((org_index, person))
                    row_id += 1
            carry = target - len(rows)
            yield from rows

            if status == Meeting.Status.HELD and taken:
                for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]):
                    org_index, person = rng.choice(taken)
                    due = start.date() + datetime.timedelta(days=rng.randrange(14, 91))
                    if due < ANCHOR.date():
                        state = rng.choices(
                            list(FollowUp.Status), weights=[15, 15, 60, 10]
                        )[0]
                    else:
                        state = rng.choice(
                            [FollowUp.Status.OPEN, FollowUp.Status.IN_PROGRESS]
                        )
                    follow_ups.append(
                        (
                            follow_up_id,
                            pk,
                            f"Sample action: {rng.choice(ACTIONS).lower()}",
                            self.org_ids[org_index],
                            person if rng.random() < 0.5 else None,
                            due,
                            state,
                            "",
                        )
                    )
                    follow_up_id += 1

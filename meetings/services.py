import json
from datetime import date, datetime, time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from stakeholders.models import Organisation, OrganisationName, OrganisationType

from .models import AgendaItem, Attendance, Meeting, Topic

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "meeting-2025-01-29.json"


@transaction.atomic
def demo_load(*, path=DEMO_FILE):
    """Load the founding example (the meeting of 29 January 2025) from ``path``.

    Idempotent: every record is looked up before it is created, by the name a
    coordinator sees, and records that exist are left as they are, so a second
    load adds nothing and keeps any edits made since. Returns the meeting.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    types = {t.slug: t for t in OrganisationType.objects.all()}

    organisations = {}
    # Parents come first in the file, so each parent exists when its child is
    # created.
    for row in data["organisations"]:
        organisation = Organisation.objects.filter(
            name__iexact=row["name"], is_active=True
        ).first()
        if organisation is None:
            organisation = Organisation.objects.create(
                name=row["name"],
                acronym=row.get("acronym", ""),
                type=types[row["type"]],
                country=row.get("country", ""),
                parent=organisations.get(row.get("parent")),
            )
        for other_name in row.get("other_names", []):
            if not organisation.other_names.filter(name__iexact=other_name).exists():
                OrganisationName.objects.create(
                    organisation=organisation, name=other_name
                )
        organisations[row["name"]] = organisation

    spec = data["meeting"]
    starts_at = timezone.make_aware(
        datetime.combine(date.fromisoformat(spec["date"]), time.min)
    )
    meeting, created = Meeting.objects.get_or_create(
        title=spec["title"],
        starts_at=starts_at,
        defaults={
            "date_only": True,
            "venue": spec["venue"],
            "format": spec["format"],
            "status": spec["status"],
            "host": organisations[spec["host"]],
            "summary": spec["summary"],
            "outcomes": spec["outcomes"],
        },
    )
    if not created:
        return meeting

    meeting.initiators.set([organisations[name] for name in spec["initiators"]])
    for order, item in enumerate(spec["agenda"], start=1):
        topic = Topic.objects.filter(name__iexact=item["topic"]).first()
        if topic is None:
            topic = Topic.objects.create(name=item["topic"])
        AgendaItem.objects.create(
            meeting=meeting, topic=topic, order=order, notes=item["notes"]
        )
    for row in spec["attendance"]:
        Attendance.objects.create(
            meeting=meeting,
            organisation=organisations[row["organisation"]],
            role=row["role"],
            status=Attendance.Status.ATTENDED,
            notes=row.get("notes", ""),
        )
    return meeting

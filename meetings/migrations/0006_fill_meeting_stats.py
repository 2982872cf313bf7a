"""Compute the stored meetings attended, last met and organisations taking part
of the existing rows (the columns were added empty by 0005 and
stakeholders 0007). The expressions are those of meetings.stats, frozen here
as a migration must be."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

ATTENDED = "attended"
NOT_TAKING_PART = ["declined", "absent"]


def participant_stats(Attendance, via):
    attended = Attendance.objects.filter(
        **{via: OuterRef("pk")}, status=ATTENDED
    ).order_by()
    return {
        "meetings_attended": Coalesce(
            Subquery(
                attended.values(via)
                .annotate(n=Count("meeting", distinct=True))
                .values("n")
            ),
            0,
        ),
        "last_met": Subquery(
            attended.order_by("-meeting__starts_at").values("meeting__starts_at")[:1]
        ),
    }


def fill(apps, schema_editor):
    Attendance = apps.get_model("meetings", "Attendance")
    Meeting = apps.get_model("meetings", "Meeting")
    Organisation = apps.get_model("stakeholders", "Organisation")
    Person = apps.get_model("stakeholders", "Person")
    Organisation.objects.update(**participant_stats(Attendance, "organisation"))
    Person.objects.update(**participant_stats(Attendance, "person"))
    taking_part = (
        Attendance.objects.exclude(status__in=NOT_TAKING_PART)
        .filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(n=Count("organisation", distinct=True))
        .values("n")
    )
    Meeting.objects.update(organisations_attended=Coalesce(Subquery(taking_part), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0005_organisations_attended"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

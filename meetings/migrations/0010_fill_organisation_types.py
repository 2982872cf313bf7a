"""Compute the stored organisation types of existing people and meetings (the
columns were added as "," by stakeholders 0010 and meetings 0009). The
expressions are those of meetings.stats, frozen here as a migration must be."""

from django.db import migrations
from django.db.models import Aggregate, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Concat

ATTENDED = "attended"
NOT_TAKING_PART = ["declined", "absent"]


class TypeIds(Aggregate):
    function = "GROUP_CONCAT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(DISTINCT (%(expressions)s)::text, ',')",
            **extra_context,
        )


def type_ids(rows, via):
    return Coalesce(
        Subquery(
            rows.order_by()
            .values(via)
            .annotate(types=TypeIds("organisation__type"))
            .values("types")
        ),
        Value(""),
        output_field=TextField(),
    )


def types_key(*parts):
    pieces = [Value(",")]
    for part in parts:
        pieces += [part, Value(",")]
    return Concat(*pieces, output_field=TextField())


def fill(apps, schema_editor):
    Attendance = apps.get_model("meetings", "Attendance")
    Meeting = apps.get_model("meetings", "Meeting")
    Person = apps.get_model("stakeholders", "Person")
    Position = apps.get_model("stakeholders", "Position")
    positions = Position.objects.filter(person=OuterRef("pk"))
    attended = Attendance.objects.filter(person=OuterRef("pk"), status=ATTENDED)
    Person.objects.update(
        organisation_types=types_key(
            type_ids(positions, "person"), type_ids(attended, "person")
        )
    )
    taking_part = Attendance.objects.exclude(status__in=NOT_TAKING_PART).filter(
        meeting=OuterRef("pk")
    )
    Meeting.objects.update(
        organisation_types=types_key(type_ids(taking_part, "meeting"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0009_organisation_types"),
        ("stakeholders", "0010_organisation_types_and_indexes"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

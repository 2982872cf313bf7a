"""Seed the default organisation types of DESIGN.md.

Administrators edit the list afterwards in the admin. Re-running leaves types that
already exist (matched by slug) as the administrators left them.
"""

from django.db import migrations

# (slug, name, IATI OrganisationType code or "" where one type spans several codes)
DEFAULT_TYPES = [
    ("ministry", "Ministry", "10"),
    ("government-agency", "Government agency", "10"),
    ("state-fund", "State fund", "15"),
    ("project-office", "Project office", "15"),
    ("integrator", "Integrator", "15"),
    # Donors and development banks are bilateral (10) or multilateral (40):
    # no single code is right for the type.
    ("donor", "Donor / development bank", ""),
    ("un-agency", "UN agency", "40"),
    ("international-organisation", "International organisation", "40"),
    ("ngo", "NGO", "22"),
    ("academic", "Academic", "80"),
    ("private-sector", "Private sector", "70"),
    ("other", "Other", "90"),
]


def create_types(apps, schema_editor):
    OrganisationType = apps.get_model("stakeholders", "OrganisationType")
    for slug, name, iati_code in DEFAULT_TYPES:
        OrganisationType.objects.get_or_create(
            slug=slug, defaults={"name": name, "iati_code": iati_code}
        )


def remove_unused_types(apps, schema_editor):
    OrganisationType = apps.get_model("stakeholders", "OrganisationType")
    OrganisationType.objects.filter(
        slug__in=[slug for slug, _name, _code in DEFAULT_TYPES],
        organisations__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("stakeholders", "0001_initial")]

    operations = [migrations.RunPython(create_types, remove_unused_types)]

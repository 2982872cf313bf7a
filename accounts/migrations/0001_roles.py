"""Create the three roles (viewer, editor, administrator) as groups."""

from django.db import migrations

from accounts.roles import roles_sync


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["viewer", "editor", "administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("stakeholders", "0004_person_personal_data_permissions"),
        ("meetings", "0002_constraint_error_codes"),
    ]

    operations = [migrations.RunPython(roles_sync, remove_roles)]

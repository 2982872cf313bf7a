"""Text that Django writes without translation, replaced by Hamkor's.

Django's admin shows a boolean as an icon whose ``alt`` text is ``str(value)``
("True", "False", "None"): a screen reader reads English on every page in
Uzbek or Russian (``contrib/admin/templatetags/admin_list.py``,
``_boolean_icon``). The admin's list, its read-only fields and its
``display_for_field`` all look the function up in that module when they run,
so replacing it there once, at start-up, reaches every one of them.
"""

from django.contrib.admin.templatetags import admin_list
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext

ICONS = {True: "yes", False: "no", None: "unknown"}


def boolean_icon(value):
    """Django's icon for ``value``, its alt text in the reader's language."""
    alt = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}
    return format_html(
        '<img src="{}" alt="{}">',
        static(f"admin/img/icon-{ICONS[value]}.svg"),
        alt[value],
    )


def install():
    admin_list._boolean_icon = boolean_icon

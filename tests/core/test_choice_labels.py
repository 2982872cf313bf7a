"""core.models.choice_label: a choice's label in the reader's language,
remembered per language (a page of 750 attendance rows asked for 2,500)."""

import pytest
from django.test import override_settings
from django.utils import translation

from core.models import choice_label
from meetings.models import Attendance
from tests.core.test_catalogues import compiled


def test_each_language_reads_its_own_label_whatever_was_asked_before():
    compiled()
    answers = []
    for language in ["ru", "uz", "en-gb", "ru"]:
        with translation.override(language):
            answers.append(choice_label(Attendance.Role, "host"))

    assert answers == ["Организатор", "Mezbon", "Host", "Организатор"]


@pytest.mark.parametrize("value", ["chair", "", None, ["host"]])
def test_a_value_that_is_no_choice_is_given_back_as_it_is(value):
    with translation.override("ru"):
        assert choice_label(Attendance.Role, value) == value


def test_a_change_of_the_languages_forgets_the_labels(settings):
    with translation.override("ru"):
        choice_label(Attendance.Role, "host")
    # With Russian's catalogues out of reach, Russian reads the English.
    with override_settings(LOCALE_PATHS=[]), translation.override("ru"):
        assert choice_label(Attendance.Role, "host") == "Host"

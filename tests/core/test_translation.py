"""Translations remembered per language (core/translation.py) still answer
in the active language, whichever was asked first."""

from django.utils import translation
from django.utils.translation import trans_real

from core import translation as remembered


def test_each_language_answers_in_its_own_words():
    # Django's own catalogues translate the admin's "Log out".
    for _ in range(2):  # the second time from the dictionaries
        with translation.override("ru"):
            assert translation.gettext("Log out") == "Выйти"
        with translation.override("en-gb"):
            assert translation.gettext("Log out") == "Log out"
        with translation.override("ru"):
            assert translation.pgettext("abbrev. month", "Jan.") == "Янв."


def test_it_is_installed_once_and_keeps_at_most_its_limit(monkeypatch):
    remembered.remember_translations()
    assert trans_real.DjangoTranslation.gettext.remembers
    monkeypatch.setattr(remembered, "LIMIT", 3)
    with translation.override("ru"):
        catalogue = trans_real.translation("ru")
        catalogue.__dict__.pop("_hamkor_memo", None)
        for number in range(10):
            assert translation.gettext(f"message {number}") == f"message {number}"
        assert len(catalogue._hamkor_memo) == 3

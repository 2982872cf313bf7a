"""The words a coordinator writes on a sign-in sheet, in English, Russian and
Uzbek: the headers that name its columns, and the roles and statuses in
its cells.

They are compared by ``word_key``, as written (a header in Cyrillic is not
transliterated), which is not how names are compared (``core.names``).
"""

import functools
import re
import unicodedata

from django.conf import settings
from django.utils import translation

from meetings.models import Attendance

from .sheets import (
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    MIDDLE_NAME,
    NAME,
    ORGANISATION,
    PHONE,
    ROLE,
    STATUS,
    TITLE,
)

# Header names a coordinator writes, in English, Russian and Uzbek. They are
# compared by ``word_key``: case, spacing and punctuation do not matter.
HEADERS = {
    ORGANISATION: [
        "organisation",
        "organization",
        "organisation name",
        "organization name",
        "org",
        "company",
        "institution",
        "agency",
        "on behalf of",
        "организация",
        "название организации",
        "наименование организации",
        "учреждение",
        "ведомство",
        "компания",
        "место работы",
        "от организации",
        "tashkilot",
        "tashkilot nomi",
        "ташкилот",
        "ташкилот номи",
    ],
    NAME: [
        "name",
        "full name",
        "person",
        "person name",
        "participant",
        "participant name",
        "attendee",
        "representative",
        "фио",
        "полное имя",
        "имя и фамилия",
        "фамилия и имя",
        "фамилия имя",
        "фамилия имя отчество",
        "участник",
        "представитель",
        "ism",
        "ismi",
        "ism familiya",
        "ism sharif",
        "fish",
        "фиш",
        "исм",
        "исм шариф",
    ],
    FIRST_NAME: ["first name", "given name", "forename", "имя"],
    LAST_NAME: ["last name", "surname", "family name", "фамилия", "familiya"],
    MIDDLE_NAME: ["middle name", "patronymic", "отчество", "otasining ismi"],
    EMAIL: [
        "email",
        "email address",
        "mail",
        "электронная почта",
        "эл почта",
        "почта",
        "адрес электронной почты",
        "email адрес",
        "elektron pochta",
        "электрон почта",
    ],
    TITLE: [
        "position",
        "title",
        "job title",
        "position title",
        "post",
        "designation",
        "должность",
        "позиция",
        "lavozim",
        "lavozimi",
        "лавозим",
        "лавозими",
    ],
    ROLE: ["role", "role at the meeting", "роль", "роль на встрече", "rol", "роли"],
    STATUS: ["status", "attendance", "статус", "присутствие", "holat", "ҳолат"],
    PHONE: [
        "phone",
        "telephone",
        "tel",
        "mobile",
        "phone number",
        "телефон",
        "тел",
        "мобильный",
        "номер телефона",
        "telefon",
        "telefon raqami",
    ],
}

ROLE_WORDS = {
    Attendance.Role.HOST: [
        "организатор",
        "принимающая сторона",
        "mezbon",
        "мезбон",
        "tashkilotchi",
        "ташкилотчи",
    ],
    Attendance.Role.PRESENTER: [
        "speaker",
        "докладчик",
        "спикер",
        "выступающий",
        "выступающая",
        "maruzachi",
        "маърузачи",
    ],
    Attendance.Role.PARTICIPANT: [
        "attendee",
        "участник",
        "участница",
        "ishtirokchi",
        "иштирокчи",
    ],
    Attendance.Role.OBSERVER: ["наблюдатель", "kuzatuvchi", "кузатувчи"],
}
STATUS_WORDS = {
    Attendance.Status.INVITED: [
        "приглашен",
        "приглашена",
        "приглашены",
        "taklif qilingan",
    ],
    Attendance.Status.CONFIRMED: [
        "подтвердил",
        "подтвердила",
        "подтверждено",
        "подтвержден",
        "подтверждена",
        "tasdiqlagan",
        "tasdiqlandi",
    ],
    Attendance.Status.ATTENDED: [
        "present",
        "присутствовал",
        "присутствовала",
        "присутствует",
        "присутствовали",
        "ishtirok etdi",
        "qatnashdi",
    ],
    Attendance.Status.DECLINED: [
        "отказался",
        "отказалась",
        "отказ",
        "отклонил",
        "отклонила",
        "rad etdi",
    ],
    Attendance.Status.ABSENT: [
        "отсутствовал",
        "отсутствовала",
        "отсутствует",
        "не пришел",
        "не пришла",
        "не был",
        "kelmadi",
    ],
}


def word_key(text):
    """Header, role and status words compared as written, in any script:
    ignoring case, spacing, punctuation (the Uzbek apostrophes ʻ and ʼ, which
    are letters to Unicode, too: "maʼruzachi" is "maruzachi") and ё/е."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return re.sub(r"[\W_ʻʼ]+", "", text)


def _choice_words(words, choices):
    """Word key -> choice: the choice's value, its label in each interface
    language (what the preview's "use host, presenter, …" names), and the
    other words of ``words``."""
    table = {}
    for value, extra in words.items():
        labels = []
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                labels.append(str(choices(value).label))
        for word in [value, *labels, *extra]:
            table[word_key(str(word))] = value
    return table


@functools.cache
def roles_by_word():
    return _choice_words(ROLE_WORDS, Attendance.Role)


@functools.cache
def statuses_by_word():
    return _choice_words(STATUS_WORDS, Attendance.Status)


_HEADERS = {
    word_key(header): column for column, names in HEADERS.items() for header in names
}


def header_field(header):
    """The field a header names, or None. A bilingual header such as
    "Организация / Organisation" names a field when its parts agree."""
    key = word_key(header)
    if not key:
        return None
    if key in _HEADERS:
        return _HEADERS[key]
    parts = {
        _HEADERS.get(word_key(part))
        for part in re.split(r"[/|\\()\[\]\n,;]+", header)
        if word_key(part)
    }
    parts.discard(None)
    return parts.pop() if len(parts) == 1 else None

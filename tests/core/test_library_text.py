"""Text that Django and django-axes write without translation, replaced by
Hamkor's (issue 12): the admin's yes/no icons, the names of axes' records,
the password form's warning, the rows of Django's own table of a meeting's
initiators on a delete confirmation; the API's errors, which Django REST
framework leaves in English in Uzbek."""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient

from tests.core.test_catalogues import compiled, visible_text
from tests.factories import MeetingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# 05:30 in UTC is 10:30 in Tashkent, the project's time zone.
ATTEMPT = datetime.datetime(2025, 1, 29, 5, 30, tzinfo=datetime.UTC)


@pytest.fixture
def russian_admin(admin_client):
    compiled()
    admin_client.post(reverse("language"), {"language": "ru", "next": "/"})
    return admin_client


def test_the_admins_yes_and_no_icons_are_read_in_the_readers_language(
    russian_admin,
):
    OrganisationFactory(is_active=True)
    OrganisationFactory(is_active=False)

    page = russian_admin.get(reverse("admin:stakeholders_organisation_changelist"))

    html = page.content.decode()
    assert 'alt="Да"' in html
    assert 'alt="Нет"' in html
    assert 'alt="True"' not in html
    assert 'alt="False"' not in html


def test_a_login_records_page_names_it_in_the_readers_language_and_local_time(
    russian_admin,
):
    record = AccessLog.objects.create(
        username="someone", ip_address="10.1.2.3", user_agent="Firefox"
    )
    AccessLog.objects.filter(pk=record.pk).update(attempt_time=ATTEMPT)

    text = visible_text(
        russian_admin.get(reverse("admin:axes_accesslog_change", args=[record.pk]))
    )

    assert "Вход под именем someone, 29 января 2025" in text
    assert "10:30" in text
    assert "Access Log for" not in text
    assert "+00:00" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en-gb", "Failed sign-ins as someone since 29 Jan 2025"),
        ("ru", "Неудачные попытки входа под именем someone с 29 января 2025"),
        ("uz", "someone nomidan muvaffaqiyatsiz kirishlar, 29-yanvar 2025"),
    ],
)
def test_an_access_attempt_is_named_in_each_language(language, expected):
    compiled()
    attempt = AccessAttempt(
        username="someone", ip_address="10.1.2.3", attempt_time=ATTEMPT
    )

    with translation.override(language), timezone.override("Asia/Tashkent"):
        name = str(attempt)

    assert name.startswith(expected)
    assert "10:30" in name


@pytest.mark.parametrize(
    ("locked_out", "expected"),
    [
        (False, "Неудачный вход под именем someone, 29 января 2025"),
        (True, "с адреса 10.1.2.3: заблокирован"),
    ],
)
def test_a_failed_sign_in_is_named_with_its_address_and_whether_it_locked_out(
    locked_out, expected
):
    compiled()
    failure = AccessFailureLog(
        username="someone",
        ip_address="10.1.2.3",
        attempt_time=ATTEMPT,
        locked_out=locked_out,
    )

    with translation.override("ru"):
        name = str(failure)

    assert expected in name
    assert name.endswith("заблокирован") is locked_out


def test_a_record_without_a_username_is_named_with_a_dash():
    record = AccessLog(username=None, ip_address="10.1.2.3", attempt_time=ATTEMPT)

    with translation.override("en-gb"):
        assert str(record).startswith("Sign-in as —, ")


def test_the_password_forms_warning_is_in_the_readers_language(russian_admin):
    user = User.objects.create_user(username="someone-else", password="x" * 20)

    text = visible_text(
        russian_admin.get(reverse("admin:auth_user_password_change", args=[user.pk]))
    )

    assert "Если отключить, текущий пароль этого пользователя будет утрачен." in text
    assert "will be lost" not in text
    assert "Whether the user will be able" not in text


def test_a_meetings_delete_page_names_its_initiators_in_the_readers_language(
    russian_admin,
):
    meeting = MeetingFactory()
    meeting.initiators.add(OrganisationFactory(name="Uzinfocom"))

    text = visible_text(
        russian_admin.get(reverse("admin:meetings_meeting_delete", args=[meeting.pk]))
    )

    assert "Организация-инициатор: Uzinfocom" in text
    assert "Организации-инициаторы: 1" in text
    assert "relationship" not in text
    assert "Meeting_initiators" not in text


def test_the_login_records_lists_name_them_as_sign_ins_after_the_colon(
    russian_admin,
):
    text = visible_text(russian_admin.get(reverse("admin:axes_accesslog_changelist")))

    assert "Выберите для изменения: вход в систему" in text
    assert "Запись о доступе" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uz", "Kirish maʼlumotlari taqdim etilmagan."),
        ("ru", "Учетные данные не были предоставлены."),
    ],
)
def test_the_api_refuses_an_anonymous_request_in_the_readers_language(
    language, expected
):
    compiled()

    response = APIClient().get(
        reverse("api:organisation-list"), HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 401
    assert response.json() == {"detail": expected}


@pytest.mark.parametrize(
    ("language", "wait", "expected"),
    [
        ("uz", 5, "Soʻrov cheklandi. 5 soniyadan soʻng qayta urinib koʻring."),
        ("ru", 1, "Повторите попытку через 1 секунду."),
        ("ru", 21, "Повторите попытку через 21 с."),
    ],
)
def test_a_throttled_request_is_told_when_to_retry_in_the_readers_language(
    language, wait, expected
):
    compiled()

    with translation.override(language):
        detail = str(Throttled(wait=wait).detail)

    assert detail.endswith(expected)

"""``manage.py bench_import``: the timing of a generated sheet's import, rolled
back."""

import pytest
from django.core.management import call_command

from stakeholders.models import Person

pytestmark = pytest.mark.django_db


def test_bench_import_reports_rows_seconds_and_queries(capsys):
    call_command("bench_import", "--rows", "300", "--organisations", "10", "--no-watch")

    out = capsys.readouterr().out
    assert "300 rows" in out
    assert "import (all new people)" in out
    assert "Rolled back" in out
    assert not Person.objects.exists()

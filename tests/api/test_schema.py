"""The API's OpenAPI schema: committed as docs/openapi.yaml, so that a change
of the API shows in review, and valid OpenAPI 3 without warnings."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


@pytest.mark.django_db
def test_the_committed_schema_is_the_codes(tmp_path):
    generated = tmp_path / "openapi.yaml"

    call_command(
        "spectacular",
        lang="en",
        validate=True,
        fail_on_warn=True,
        file=str(generated),
    )

    assert generated.read_text(encoding="utf-8") == COMMITTED.read_text(
        encoding="utf-8"
    ), "docs/openapi.yaml is out of date: run `make schema` and commit it"


def test_every_list_filter_of_the_html_lists_is_in_the_schema():
    schema = COMMITTED.read_text(encoding="utf-8")

    for parameter in ("attended_after", "last_met_before", "overdue", "due_before"):
        assert f"name: {parameter}\n" in schema
    assert "name: sort\n" not in schema

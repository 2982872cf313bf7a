"""The benchmark's naive build (bench/naive.py) writes what the app writes."""

import pytest

from bench.naive import naive_columns
from core.exports import csv_cell
from stakeholders.views import OrganisationListView, PersonListView
from tests.core.test_exports import csv_rows
from tests.factories import OrganisationFactory, PersonFactory, PositionFactory

pytestmark = pytest.mark.django_db


def test_the_naive_columns_give_the_exports_values(admin_client):
    """The naive build's CSV views read the app's export columns from model
    instances: the same cells as the app's exports, so that the benchmark
    compares the same output."""
    parent = OrganisationFactory(name="Parent", country="GB")
    OrganisationFactory(name="Child", parent=parent, phone="=1", is_active=False)
    person = PersonFactory(full_name="Aziz")
    PositionFactory(person=person, organisation=parent, title="Head")

    organisations = csv_rows(admin_client.get("/organisations/export.csv"))
    people = csv_rows(admin_client.get("/people/export.csv"))

    # The export annotates the name in the reader's language.
    queryset = OrganisationListView().get_queryset().with_local_name()
    assert organisations[1:] == [
        [
            str(csv_cell(value(o)))
            for _header, value in naive_columns(OrganisationListView.export_columns)
        ]
        for o in queryset
    ]
    person = PersonListView().get_queryset().get()
    assert people[1] == [
        str(csv_cell(value(person)))
        for _header, value in naive_columns(PersonListView.export_columns)
    ]

"""core.models.rows_by_key: a whole table read in batches by key, with no
cursor held between them."""

import pytest

from core.models import rows_by_key
from stakeholders.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("people", [7, 6])
def test_every_row_comes_once_in_key_order_a_batch_a_query(
    django_assert_num_queries, people
):
    made = PersonFactory.create_batch(people)

    # batches of 3: 3, 3 and the rest (7), or 3, 3 and an empty one (6)
    with django_assert_num_queries(3):
        rows = list(rows_by_key(Person.objects.all(), "full_name", size=3))

    assert rows == [(person.full_name,) for person in made]


def test_the_queryset_s_filter_holds_in_every_batch():
    people = PersonFactory.create_batch(5)
    kept = {people[0].pk, people[2].pk, people[4].pk}

    rows = rows_by_key(Person.objects.filter(pk__in=kept), "pk", size=1)

    assert [pk for (pk,) in rows] == sorted(kept)


def test_an_empty_table_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert list(rows_by_key(Person.objects.all(), "pk")) == []

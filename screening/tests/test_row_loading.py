"""core.db's plain-SQL loaders and inserters give what the ORM gives: the hot paths use them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import signals
from django.utils import timezone

from core.db import RowLoader, default_connection, instances_insert, prefetched, rows_insert
from screening.models import Hall, Showtime, ShowtimeFormat, ShowtimeStatus
from screening.tests.factories import HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_loaded_row_equals_the_orms_instance():
    """Aware datetimes, decimals, JSON and the rest converted as the ORM converts them."""
    showtime = ShowtimeFactory()
    showtimes, halls = RowLoader(Showtime, alias="s"), RowLoader(Hall, alias="h")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {showtimes.columns}, {halls.columns} FROM screening_showtime s "  # noqa: S608
            "JOIN screening_hall h ON h.id = s.hall_id WHERE s.id = %s",
            [showtime.pk],
        )
        row = cursor.fetchone()
    loaded, hall = showtimes.load(row), halls.load(row, showtimes.width)
    assert _fields(loaded) == _fields(Showtime.objects.get(pk=showtime.pk))
    assert _fields(hall) == _fields(Hall.objects.get(pk=showtime.hall_id))
    assert loaded.starts_at.tzinfo is not None
    assert isinstance(hall.layout, dict)
    assert not loaded._state.adding


def test_fields_left_out_are_deferred():
    hall = HallFactory()
    halls = RowLoader(Hall, alias="h", fields=["name"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {halls.columns} FROM screening_hall h WHERE h.id = %s", [hall.pk])  # noqa: S608
        loaded = halls.load(cursor.fetchone())
    assert loaded.get_deferred_fields() >= {"layout", "cinema_id"}
    assert loaded.name == hall.name
    assert loaded.layout == hall.layout  # read when asked for, as with only()


@pytest.mark.parametrize("returning", [True, False], ids=["RETURNING", "one by one"])
def test_instances_insert_writes_what_bulk_create_writes(returning, monkeypatch):
    """With the ids the database returns (MariaDB, SQLite) or one row at a time (MySQL)."""
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        pytest.skip("this database returns no ids from an INSERT")
    monkeypatch.setattr(
        type(connection.features), "can_return_rows_from_bulk_insert", returning, raising=False
    )
    template = ShowtimeFactory()
    starts = timezone.now() + timedelta(days=3)
    new = [
        Showtime(
            movie_id=template.movie_id,
            hall_id=template.hall_id,
            starts_at=starts + timedelta(hours=4 * i),
            ends_at=starts + timedelta(hours=4 * i + 2),
            base_price=Decimal("9.50"),
        )
        for i in range(3)
    ]
    instances_insert(new)
    assert all(showtime.pk for showtime in new)
    assert len({showtime.pk for showtime in new}) == 3
    for showtime in new:
        assert not showtime._state.adding
        stored = Showtime.objects.get(pk=showtime.pk)
        assert _fields(stored) == _fields(showtime)
        assert stored.created_at is not None  # auto_now_add applied


def test_rows_insert_converts_each_value_as_its_field_would():
    template = ShowtimeFactory()
    starts = timezone.now() + timedelta(days=5)
    rows_insert(
        Showtime,
        ["movie", "hall", "starts_at", "ends_at", "base_price", "format", "language", "status",
         "created_at"],
        [(template.movie_id, template.hall_id, starts, starts + timedelta(hours=2), "7.25",
          ShowtimeFormat.TWO_D, "English", ShowtimeStatus.SCHEDULED, starts)],
    )  # fmt: skip
    stored = Showtime.objects.get(starts_at=starts)
    assert stored.base_price == Decimal("7.25")
    assert stored.ends_at == starts + timedelta(hours=2)


def test_get_reads_one_instance_by_its_key():
    showtime = ShowtimeFactory()
    showtimes = RowLoader(Showtime, alias="s")
    assert _fields(showtimes.get(showtime.pk)) == _fields(showtime)
    assert showtimes.get(showtime.pk + 1000) is None


def test_load_all_loads_every_row_as_load_does():
    first, second = ShowtimeFactory(), ShowtimeFactory()
    showtimes = RowLoader(Showtime, alias="s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, {showtimes.columns} FROM screening_showtime s ORDER BY s.id"  # noqa: S608
        )
        rows = cursor.fetchall()
    loaded = showtimes.load_all(rows, 1)
    assert [_fields(showtime) for showtime in loaded] == [_fields(first), _fields(second)]
    assert [_fields(showtimes.load(row, 1)) for row in rows] == [_fields(first), _fields(second)]
    assert not any(showtime._state.adding for showtime in loaded)


def _showtime_row(showtimes: RowLoader, pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {showtimes.columns} FROM screening_showtime s WHERE s.id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()


def test_load_all_builds_through_from_db_when_the_model_has_init_signals():
    """A listener of `pre_init`/`post_init` (an image field's, say) sees every instance made."""
    showtime = ShowtimeFactory()
    showtimes = RowLoader(Showtime, alias="s")
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(listener, sender=Showtime)
    try:
        (loaded,) = showtimes.load_all([_showtime_row(showtimes, showtime.pk)])
    finally:
        signals.post_init.disconnect(listener, sender=Showtime)
    assert seen == [loaded]
    assert _fields(loaded) == _fields(showtime)


def test_values_converts_a_column_as_its_field_would():
    showtime = ShowtimeFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT starts_at FROM screening_showtime WHERE id = %s", [showtime.pk])
        (raw,) = cursor.fetchone()
    showtimes = RowLoader(Showtime, alias="s")
    assert showtimes.values("starts_at", [raw, None]) == [showtime.starts_at, None]
    assert showtimes.values("language", ["English"]) == ["English"]


def test_default_connection_is_the_one_django_db_connection_reads():
    assert default_connection() is connections["default"]
    assert default_connection().vendor == connection.vendor


def test_inserts_of_many_rows_share_one_statement_head():
    """The head is made once per model and fields; the rows' placeholders follow it."""
    template = ShowtimeFactory()
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    starts = timezone.now() + timedelta(days=7)
    fields = ["movie", "hall", "starts_at", "ends_at", "base_price", "format", "language",
              "status", "created_at"]  # fmt: skip
    with connection.execute_wrapper(record):
        for days in (0, 1):
            rows_insert(
                Showtime,
                fields,
                [
                    (template.movie_id, template.hall_id, starts + timedelta(days=days, hours=h),
                     starts + timedelta(days=days, hours=h + 2), "5.00", ShowtimeFormat.TWO_D,
                     "English", ShowtimeStatus.SCHEDULED, starts)
                    for h in (0, 4)
                ],
            )  # fmt: skip
    assert statements[0] == statements[1]
    assert statements[0].count("(%s, %s, %s, %s, %s, %s, %s, %s, %s)") == 2
    assert Showtime.objects.filter(starts_at__gte=starts).count() == 4


def test_a_relation_handed_back_loaded_answers_all_without_a_query(django_assert_num_queries):
    hall = HallFactory()
    first, *others = ShowtimeFactory.create_batch(3, hall=hall)
    with django_assert_num_queries(0):
        prefetched(hall, "showtimes", [first, *others])
        prefetched(hall, "showtimes", [first])  # the last one handed back counts
        assert list(hall.showtimes.all()) == [first]
    with django_assert_num_queries(1):  # anything else queries as usual
        assert hall.showtimes.filter(pk=others[0].pk).get() == others[0]

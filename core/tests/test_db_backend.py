"""core/backends/mysql: `atomic()` opens its transaction with START TRANSACTION and leaves the
session in autocommit mode - and transactions mean what they meant."""

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)

from catalog.models import Movie
from catalog.tests.factories import MovieFactory
from core.testing import server_closes_connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "mysql", reason="the MySQL backend's own"),
]


@pytest.fixture
def sent(monkeypatch):
    """Every round trip this test's connection makes: its queries (statements, alone or several
    in one), commits, rollbacks and autocommit switches."""
    from MySQLdb.connections import Connection

    connection.ensure_connection()
    calls = []

    def spy(name, describe):
        real = getattr(Connection, name)

        def recorded(raw, *args):
            if raw is connection.connection:
                calls.append(describe(*args))
            return real(raw, *args)

        monkeypatch.setattr(Connection, name, recorded)

    spy("query", lambda sql: sql.decode() if isinstance(sql, bytes) else sql)
    spy("autocommit", lambda on: f"autocommit={on}")
    spy("commit", lambda: "COMMIT")
    spy("rollback", lambda: "ROLLBACK")
    return calls


@pytest.fixture
def other():
    """A second connection to the same database, as another request's."""
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    yield wrapper
    wrapper.close()


def titles_seen_by(wrapper) -> set[str]:
    with wrapper.cursor() as cursor:
        cursor.execute(f"SELECT title FROM {Movie._meta.db_table}")  # noqa: S608
        return {title for (title,) in cursor.fetchall()}


def test_atomic_starts_its_transaction_with_its_first_statement_and_switches_nothing(sent):
    with transaction.atomic():
        MovieFactory(title="Inside")
        MovieFactory(title="Also inside")
    assert len(sent) == 3
    assert sent[0].startswith("START TRANSACTION; INSERT INTO `catalog_movie`")
    assert sent[1].startswith("INSERT INTO `catalog_movie`")
    assert sent[2] == "COMMIT"
    assert connection.get_autocommit()
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@autocommit")
        assert cursor.fetchone() == (1,)


def test_what_atomic_writes_is_seen_by_others_only_once_committed(other):
    with transaction.atomic():
        MovieFactory(title="Pending")
        assert "Pending" not in titles_seen_by(other)
    assert "Pending" in titles_seen_by(other)
    # ... and outside `atomic()` each statement commits on its own again.
    MovieFactory(title="Alone")
    assert "Alone" in titles_seen_by(other)


def test_an_error_rolls_the_whole_block_back(other):
    def refused():
        with transaction.atomic():
            MovieFactory(title="Rolled back")
            MovieFactory(title=None)  # NOT NULL

    with pytest.raises(IntegrityError):
        refused()
    assert "Rolled back" not in titles_seen_by(other)
    assert "Rolled back" not in titles_seen_by(connection)


def test_savepoints_still_work():
    def undone():
        with transaction.atomic():
            MovieFactory(title="Undone")
            raise RuntimeError

    with transaction.atomic():
        MovieFactory(title="Kept")
        with pytest.raises(RuntimeError):
            undone()
    assert set(Movie.objects.values_list("title", flat=True)) == {"Kept"}


def test_a_lock_taken_in_atomic_is_held_until_the_block_ends(other):
    movie = MovieFactory()
    with other.cursor() as cursor:
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
    locked = f"SELECT id FROM {Movie._meta.db_table} WHERE id = %s FOR UPDATE NOWAIT"  # noqa: S608
    with transaction.atomic():
        Movie.objects.select_for_update().get(pk=movie.pk)
        with other.cursor() as cursor, pytest.raises(OperationalError, match=r"[Ll]ock"):
            cursor.execute(locked, [movie.pk])
    with other.cursor() as cursor:
        cursor.execute(locked, [movie.pk])  # free again: autocommit released it at once
        assert cursor.fetchone() == (movie.pk,)


def test_autocommit_turned_off_by_hand_keeps_a_transaction_open_across_commits(sent, other):
    transaction.set_autocommit(False)
    try:
        MovieFactory(title="First")
        assert "First" not in titles_seen_by(other)
        transaction.commit()
        assert "First" in titles_seen_by(other)
        MovieFactory(title="Second")  # a new transaction, as MySQL opens one
        assert "Second" not in titles_seen_by(other)
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert "Second" not in titles_seen_by(other)
    switches = [call for call in sent if call.startswith("autocommit")]
    assert switches == ["autocommit=False", "autocommit=True"]


def test_turning_autocommit_back_on_commits_what_is_open(other):
    transaction.set_autocommit(False)
    try:
        MovieFactory(title="Committed by the switch")
    finally:
        transaction.set_autocommit(True)
    assert "Committed by the switch" in titles_seen_by(other)


def test_a_new_connection_starts_in_autocommit_mode(other):
    with other.cursor() as cursor:
        cursor.execute("SELECT @@autocommit")
        assert cursor.fetchone() == (1,)
    assert other.get_autocommit()


# Health checks: a ping before a request's first query only after the connection sat idle


def request_starts():
    """What Django does to a persistent connection when a request starts (CONN_HEALTH_CHECKS)."""
    connection.close_if_unusable_or_obsolete()


def first_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()


@pytest.fixture
def pings(monkeypatch):
    calls = []
    real = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: (calls.append(1), real())[1])
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()  # the next connection is made with health checks on
    first_query()
    return calls


def test_a_connection_in_use_is_not_pinged_before_a_request(pings):
    request_starts()
    first_query()
    assert pings == []


def test_a_connection_idle_past_the_limit_is_pinged(pings, settings):
    settings.DB_HEALTH_CHECK_AFTER_IDLE = 0
    request_starts()
    first_query()
    assert pings == [1]


def test_a_connection_closed_by_the_server_while_idle_is_replaced_before_the_request(
    pings, settings
):
    settings.DB_HEALTH_CHECK_AFTER_IDLE = 0
    server_closes_connection()
    request_starts()
    assert first_query() == (1,)  # the ping failed: connected afresh


def test_a_connection_closed_by_the_server_a_moment_ago_fails_one_request_only(pings):
    server_closes_connection()
    request_starts()
    with pytest.raises(OperationalError):
        first_query()  # the API answers this one 503 with Retry-After
    connection.close_if_unusable_or_obsolete()  # as the request ends: the connection is dropped
    request_starts()
    assert first_query() == (1,)


def test_a_transaction_that_ran_nothing_costs_nothing(sent):
    with transaction.atomic():
        pass
    with pytest.raises(RuntimeError), transaction.atomic():
        raise RuntimeError
    assert sent == []


def test_a_first_statement_that_cannot_carry_the_start_goes_after_it(sent, other):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Movie._meta.db_table} (title, synopsis, duration_minutes, "  # noqa: S608
            "release_date, rating, director, cast, language, poster_url, trailer_url, "
            "created_at, updated_at) VALUES (%s, '', 90, '2026-01-01', 'PG', '', '', '', '', '', "
            "NOW(), NOW())",
            [("Many one",), ("Many two",)],
        )
        assert not {"Many one", "Many two"} & titles_seen_by(other)
    assert sent[0] == "START TRANSACTION"
    assert {"Many one", "Many two"} <= titles_seen_by(other)


# core.db.statements_run: several statements, one round trip


def test_statements_run_in_one_round_trip_and_answer_each(sent):
    from core.db import Statement, instances_insert_statement, rows_update_statement, statements_run

    movies = [MovieFactory.build(title="First"), MovieFactory.build(title="Second")]
    with transaction.atomic():
        results = statements_run(
            instances_insert_statement(movies),
            None,  # a builder's "nothing to do"
            rows_update_statement(Movie, {"director": "Someone"}, "title = %s", ["First"]),
            Statement("SELECT COUNT(*) FROM catalog_movie", [], lambda rows, _: rows[0][0]),
        )
    assert len(sent) == 2  # the statements (with the transaction's start), and COMMIT
    assert results == [None, 1, 2]
    assert all(movie.pk for movie in movies)
    assert Movie.objects.get(pk=movies[0].pk).director == "Someone"


def test_a_statement_refused_in_a_batch_raises_and_undoes_the_batch(other):
    from core.db import Statement, instances_insert_statement, statements_run

    def batch(title, duration):
        with transaction.atomic():
            statements_run(
                instances_insert_statement([MovieFactory.build(title=f"{title} one")]),
                Statement(
                    f"INSERT INTO {Movie._meta.db_table} (title, synopsis, duration_minutes, "  # noqa: S608
                    "release_date, rating, director, cast, language, poster_url, trailer_url, "
                    "created_at, updated_at) VALUES (%s, '', %s, '2026-01-01', 'PG', '', '', "
                    "'', '', '', NOW(), NOW())",
                    [f"{title} two", duration],
                ),
            )

    # A CHECK constraint (movie_duration_range): MariaDB's error 4025, which mysqlclient raises
    # as an OperationalError and Django's cursor maps to IntegrityError - so does `nextset`.
    with pytest.raises(IntegrityError, match="movie_duration_range"):
        batch("Undone", 601)
    assert not {"Undone one", "Undone two"} & titles_seen_by(other)
    batch("Done", 90)  # the connection is in step: no result left unread
    assert {"Done one", "Done two"} <= titles_seen_by(other)


def test_an_empty_transaction_does_not_vouch_for_a_connection_that_failed():
    """Django takes a COMMIT as proof that the connection works (`errors_occurred` cleared):
    one that was never sent proves nothing, and the request's end still checks it."""
    connection.ensure_connection()
    connection.errors_occurred = True
    with transaction.atomic():
        pass
    assert connection.errors_occurred
    with transaction.atomic():
        MovieFactory()
    assert not connection.errors_occurred  # a real COMMIT, answered


def test_a_first_statement_that_fails_to_build_leaves_the_transaction_to_the_next(other):
    with transaction.atomic():
        with pytest.raises(ProgrammingError), connection.cursor() as cursor:
            cursor.execute("SELECT %s, %s", [1])  # one parameter short: never sent
        MovieFactory(title="Still in the transaction")
        assert "Still in the transaction" not in titles_seen_by(other)
        transaction.set_rollback(True)
    assert "Still in the transaction" not in titles_seen_by(other)


def test_a_procedure_called_first_runs_inside_the_transaction(other):
    table = Movie._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP PROCEDURE IF EXISTS cinema_test_insert")
        cursor.execute(
            "CREATE PROCEDURE cinema_test_insert() INSERT INTO "  # noqa: S608
            f"{table} (title, synopsis, duration_minutes, release_date, rating, director, cast, "
            "language, poster_url, trailer_url, created_at, updated_at) VALUES ('By procedure', "
            "'', 90, '2026-01-01', 'PG', '', '', '', '', '', NOW(), NOW())"
        )
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.callproc("cinema_test_insert")
            assert "By procedure" not in titles_seen_by(other)
            transaction.set_rollback(True)
        assert "By procedure" not in titles_seen_by(other)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP PROCEDURE IF EXISTS cinema_test_insert")


def test_statements_run_together_only_in_a_transaction():
    from core.db import Statement, TransactionRequired, statements_run

    with pytest.raises(TransactionRequired):
        statements_run(Statement("SELECT 1", []), Statement("SELECT 2", []))
    assert statements_run(Statement("SELECT 1", [], lambda rows, _: list(rows))) == [[(1,)]]

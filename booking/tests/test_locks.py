"""Lock scope: every lock helper needs a transaction, and the booking and payment services own
theirs - an Idempotency-Key never widens it."""

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts import locks as account_locks
from accounts.tests.factories import UserFactory
from booking import locks, services
from core.db import TransactionRequired
from core.idempotency import idempotent
from core.models import IdempotencyKey
from payments import locks as payment_locks
from payments.tests.factories import InFlightPaymentFactory
from screening import locks as schedule_locks
from screening.tests.factories import ShowtimeFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "take",
    [
        lambda ids: locks.showtime_lock_shared(ids["showtime"]),
        lambda ids: locks.showtimes_lock_shared([ids["showtime"]]),
        lambda ids: locks.booking_lock(ids["booking"]),
        lambda ids: locks.bookings_lock([ids["booking"]]),
        lambda ids: locks.pending_bookings_lock(ids["user"], ids["showtime"]),
        lambda ids: locks.seats_lock(ids["showtime"], [ids["seat"]]),
        lambda ids: schedule_locks.showtime_lock(ids["showtime"]),
        lambda ids: schedule_locks.halls_lock(ids["hall"]),
        lambda ids: schedule_locks.hall_seats_lock(ids["hall"]),
        lambda ids: payment_locks.card_owner_lock(ids["user"]),
        lambda ids: account_locks.user_lock(ids["user"]),
        lambda ids: account_locks.refresh_token_lock("jti"),
        lambda ids: account_locks.family_tokens_lock("family", timezone.now()),
        lambda ids: account_locks.user_tokens_lock(ids["user"], timezone.now()),
        lambda ids: payment_locks.refunds_lock(1),
        lambda ids: payment_locks.payment_with_booking_lock(ids["payment"]),
    ],
)
def test_lock_helpers_refuse_to_run_outside_a_transaction(take):
    booking = BookingFactory()
    ids = {
        "showtime": booking.showtime_id,
        "booking": booking.pk,
        "user": booking.user_id,
        "seat": booking.tickets.all()[0].seat_id,
        "hall": booking.showtime.hall_id,
        "payment": InFlightPaymentFactory(booking=booking).pk,
    }
    with pytest.raises(TransactionRequired):
        take(ids)
    with transaction.atomic():
        take(ids)


def test_booking_services_cannot_be_wrapped_in_a_longer_transaction():
    showtime = ShowtimeFactory()
    seat = showtime.hall.seats.first()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.booking_create(
            user=UserFactory(), showtime_id=showtime.pk, seats=[services.SeatRequest(seat.pk)]
        )


def test_an_idempotency_key_runs_the_work_with_no_transaction_open():
    seen = []

    def action(resumed):
        seen.append(connection.in_atomic_block)
        return 201, {"ok": True}

    user = UserFactory()
    for key in (None, "key-1"):
        idempotent(user=user, scope="s", key=key, payload={}, action=action, replay_errors=False)
    assert seen == [False, False]


def test_an_idempotency_key_refuses_to_run_inside_a_transaction():
    def action(resumed):
        raise AssertionError("not run")

    user = UserFactory()
    for key in (None, "key-1"):
        with pytest.raises(TransactionManagementError), transaction.atomic():
            idempotent(
                user=user, scope="s", key=key, payload={}, action=action, replay_errors=False
            )
    assert not IdempotencyKey.objects.exists()


@pytest.mark.skipif(connection.vendor != "mysql", reason="row locks")
def test_the_showtime_lock_takes_the_showtime_alone_not_its_venue():
    """`showtime_lock_shared` reads the showtime with its movie, hall and cinema in one statement;
    only the showtime's row is locked (shared): the others can be edited meanwhile."""
    from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

    showtime = ShowtimeFactory()
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        with transaction.atomic():
            read = locks.showtime_lock_shared(showtime.pk)
            assert read.hall.cinema.pk == showtime.hall.cinema_id
            assert read.movie.pk == showtime.movie_id
            with other.cursor() as cursor:
                for model, pk in [
                    (type(showtime.movie), showtime.movie_id),
                    (type(showtime.hall), showtime.hall_id),
                    (type(showtime.hall.cinema), showtime.hall.cinema_id),
                ]:
                    cursor.execute(
                        f"UPDATE {model._meta.db_table} SET id = id WHERE id = %s",  # noqa: S608
                        [pk],
                    )
                with pytest.raises(OperationalError, match="Lock wait timeout"):
                    cursor.execute(
                        f"UPDATE {type(showtime)._meta.db_table} SET status = status "  # noqa: S608
                        "WHERE id = %s",
                        [showtime.pk],
                    )
    finally:
        other.close()
    with transaction.atomic():
        assert locks.showtime_lock_shared(showtime.pk + 1000) is None

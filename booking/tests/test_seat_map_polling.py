"""A seat map thousands can poll: a version, an ETag and 304, changes since a version, and holds
that lapse without any write."""

from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db.models import F
from django.utils import timezone

from booking import services
from booking.models import SeatSurcharge, TicketType
from booking.services.expiry import seat_changes_purge
from core.testing import client_for
from screening import services as screening_services
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def showtime():
    return ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 8)), base_price=Decimal("10.00"))


def url(showtime, **query):
    suffix = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/api/v1/showtimes/{showtime.pk}/seats/" + (f"?{suffix}" if suffix else "")


def clock_at(moment):
    """The server's clock at `moment` (holds end, accessible seats are released on it)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def hold(user, showtime, *numbers, row="A"):
    seats = [showtime.hall.seats.get(row=row, number=n).pk for n in numbers]
    return services.booking_create(
        user=user, showtime_id=showtime.pk, seats=[services.SeatRequest(pk) for pk in seats]
    )


def status_of(document, showtime, label):
    seat = showtime.hall.seats.get(row=label[0], number=int(label[1:]))
    return next(s for s in document["seats"] if s["id"] == seat.pk)


def test_the_version_moves_on_with_every_hold_sale_and_release(api_client, customer, showtime):
    first = api_client.get(url(showtime))
    assert first.json()["version"] == 0
    assert first["Cache-Control"] == "public, max-age=1, stale-while-revalidate=5"

    booking = hold(customer, showtime, 1, 2)
    held = api_client.get(url(showtime)).json()
    assert held["version"] > 0
    seat = status_of(held, showtime, "A1")
    assert seat["status"] == "held"
    held_until = datetime.fromisoformat(seat["held_until"])
    assert abs(held_until - booking.expires_at) < timedelta(milliseconds=1)

    services.booking_confirm(booking_id=booking.pk)
    sold = api_client.get(url(showtime)).json()
    assert sold["version"] > held["version"]
    assert status_of(sold, showtime, "A1") | {"status": "sold", "held_until": None} == (
        status_of(sold, showtime, "A1")
    )

    services.booking_cancel(booking_id=booking.pk, by=customer)
    freed = api_client.get(url(showtime)).json()
    assert freed["version"] > sold["version"]
    assert status_of(freed, showtime, "A1")["status"] == "available"


def test_a_current_copy_is_304_after_one_query(
    api_client, customer, showtime, django_assert_num_queries
):
    etag = api_client.get(url(showtime))["ETag"]
    with django_assert_num_queries(1):
        again = api_client.get(url(showtime), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    hold(customer, showtime, 3, 4)
    changed = api_client.get(url(showtime), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def surcharges_swapped(showtime):
    """VIP's and STANDARD's surcharges trade places: every sum stays the same."""
    vip = SeatSurcharge.objects.get(seat_type="VIP").amount
    standard = SeatSurcharge.objects.get(seat_type="STANDARD").amount
    assert vip != standard
    SeatSurcharge.objects.filter(seat_type="VIP").update(amount=standard)
    SeatSurcharge.objects.filter(seat_type="STANDARD").update(amount=vip)


def multipliers_traded(showtime):
    """ADULT's multiplier goes up by what another's goes down: every sum stays the same."""
    TicketType.objects.filter(code="ADULT").update(multiplier=F("multiplier") + Decimal("0.1"))
    TicketType.objects.filter(code="SENIOR").update(multiplier=F("multiplier") - Decimal("0.1"))


@pytest.mark.parametrize(
    "change",
    [
        lambda showtime: (
            type(showtime).objects.filter(pk=showtime.pk).update(base_price=Decimal("11.00"))
        ),
        lambda showtime: TicketType.objects.filter(code="ADULT").update(multiplier=Decimal("1.1")),
        lambda showtime: TicketType.objects.filter(code="ADULT").update(active=False),
        surcharges_swapped,
        multipliers_traded,
    ],
    ids=["base price", "price rule", "ADULT switched off", "surcharges swapped", "traded"],
)
def test_a_price_change_changes_the_etag(api_client, showtime, change):
    showtime.hall.seats.filter(row="B").update(seat_type="VIP")
    before = api_client.get(url(showtime))
    change(showtime)
    after = api_client.get(url(showtime), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["seats"] != before.json()["seats"]


def test_a_rule_the_map_does_not_show_keeps_the_etag(api_client, showtime):
    etag = api_client.get(url(showtime))["ETag"]
    TicketType.objects.filter(code="CHILD").update(multiplier=Decimal("0.4"))
    assert api_client.get(url(showtime), HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize(
    "change",
    [
        lambda showtime: {"starts_at": showtime.starts_at + timedelta(minutes=30)},
        lambda showtime: {"hall": HallFactory(layout=layout_of(2, 8), cinema=showtime.hall.cinema)},
    ],
    ids=["start", "hall"],
)
def test_a_showtime_nobody_booked_that_moves_gets_a_new_etag(api_client, showtime, change):
    before = api_client.get(url(showtime))
    screening_services.showtime_update(showtime=showtime, data=change(showtime))
    after = api_client.get(url(showtime), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["showtime"] != before.json()["showtime"]


def test_a_full_map_takes_three_queries_once_per_version_then_one(
    api_client, customer, other_customer, showtime, django_assert_num_queries
):
    hold(customer, showtime, 1)
    api_client.get(url(showtime))  # the hall's seats are read once per process
    hold(other_customer, showtime, 2)
    # the state; the price rules and the live claims, to render the new version
    with django_assert_num_queries(3):
        changed = api_client.get(url(showtime))
    # the state: the document rendered for it stands (booking/tests/test_seat_map_fast_path.py)
    with django_assert_num_queries(1):
        again = api_client.get(url(showtime))
    assert again.status_code == changed.status_code == 200
    assert again.content == changed.content


def test_changes_since_a_version_are_the_seats_that_changed_as_they_are_now(
    api_client, customer, other_customer, showtime, django_assert_num_queries
):
    version = api_client.get(url(showtime)).json()["version"]
    mine = hold(customer, showtime, 1, 2)
    hold(other_customer, showtime, 5, 6, row="B")
    services.booking_confirm(booking_id=mine.pk)

    # the state; the changed seats with their live claims
    with django_assert_num_queries(2):
        changes = api_client.get(url(showtime, since=version)).json()
    labels = {(seat["id"], seat["status"]) for seat in changes["seats"]}
    seats = {s.label: s.pk for s in showtime.hall.seats.all()}
    assert labels == {
        (seats["A1"], "sold"),
        (seats["A2"], "sold"),
        (seats["B5"], "held"),
        (seats["B6"], "held"),
    }
    assert changes["since"] == version
    whole = api_client.get(url(showtime)).json()
    assert changes["version"] == whole["version"]
    # Each changed seat as the whole map shows it, in id order.
    in_whole = {seat["id"]: seat for seat in whole["seats"]}
    for seat in changes["seats"]:
        assert seat == {key: in_whole[seat["id"]][key] for key in ("id", "status", "held_until")}
    assert [seat["id"] for seat in changes["seats"]] == sorted(
        seats[label] for label in ("A1", "A2", "B5", "B6")
    )
    # Nothing since the newest version.
    latest = changes["version"]
    assert api_client.get(url(showtime, since=latest)).json()["seats"] == []


def test_a_lapsed_hold_is_available_without_any_write(api_client, customer, showtime):
    booking = hold(customer, showtime, 1)
    first = api_client.get(url(showtime))
    assert status_of(first.json(), showtime, "A1")["status"] == "held"

    with clock_at(booking.expires_at):
        lapsed = api_client.get(url(showtime))
        # Pollers holding the copy from before were told when the hold ends: their copy stands.
        current = api_client.get(url(showtime), HTTP_IF_NONE_MATCH=first["ETag"])
    assert lapsed["ETag"] == first["ETag"]  # no write: the same version
    seat = status_of(lapsed.json(), showtime, "A1")
    assert (seat["status"], seat["held_until"]) == ("available", None)
    assert lapsed.json()["counts"]["held"] == 0
    assert current.status_code == 304


def test_the_log_of_a_showtime_long_over_is_purged_and_its_pollers_reload(
    api_client, customer, showtime, settings
):
    hold(customer, showtime, 1)
    version = api_client.get(url(showtime)).json()["version"]
    settings.SEAT_CHANGES_RETENTION_HOURS = 1
    assert seat_changes_purge() == 0  # still on sale: its log is kept whole
    type(showtime).objects.filter(pk=showtime.pk).update(
        starts_at=timezone.now() - timedelta(hours=5), ends_at=timezone.now() - timedelta(hours=3)
    )
    assert seat_changes_purge() == 1

    response = api_client.get(url(showtime, since=version))
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "resync_required"


@pytest.mark.parametrize("since", ["-1", "x", "1.5", "\u0663"])
def test_a_since_that_is_no_version_is_400(api_client, showtime, since):
    response = api_client.get(url(showtime, since=since))
    assert response.status_code == 400
    assert "since" in response.json()["error"]["details"]


def test_a_version_from_the_future_is_410(api_client, showtime):
    assert api_client.get(url(showtime, since=10**9)).status_code == 410


def test_the_seat_map_reads_no_token(showtime, customer, django_assert_num_queries):
    """No authentication on the seat map: a poller's token costs no user lookup."""
    client = client_for(customer)
    etag = client.get(url(showtime))["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url(showtime), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_409_says_which_seats_are_still_free_and_suggests_a_block(
    customer, other_customer, showtime
):
    """Retry guidance that flattens a storm: one retry, not another seat-map read."""
    hold(customer, showtime, 3, 4)
    seats = {s.label: s.pk for s in showtime.hall.seats.all()}
    response = client_for(other_customer).post(
        "/api/v1/bookings/",
        {"showtime": showtime.pk, "seats": [{"seat": seats["A4"]}, {"seat": seats["A5"]}]},
        format="json",
    )
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert details["seats"] == [seats["A4"]]
    assert details["free"] == [seats["A5"]]
    suggestion = details["suggestion"]
    assert len(suggestion) == 2
    assert not {seats["A3"], seats["A4"]} & set(suggestion)

    retry = client_for(other_customer).post(
        "/api/v1/bookings/",
        {"showtime": showtime.pk, "seats": [{"seat": pk} for pk in suggestion]},
        format="json",
    )
    assert retry.status_code == 201, retry.content


@pytest.mark.django_db(transaction=True)
def test_a_hold_and_a_payment_take_a_fixed_number_of_queries(django_assert_num_queries):
    """Pinned so that a change that adds work on the hot path is seen (bench/ measures time).
    With real transactions, as in production: no savepoints counted. Each is a round trip to
    the database: a transaction's START TRANSACTION travels with its first statement, and writes
    made together travel as one (core/backends/mysql, `core.db.statements_run`)."""
    from accounts.tests.factories import UserFactory
    from payments.tests.helpers import card

    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 8)))
    first, seat = showtime.hall.seats.filter(row="A").order_by("number")[:2]
    client = client_for(UserFactory())
    # The hall's plan is read once per process.
    client_for(UserFactory()).post(
        "/api/v1/bookings/", {"showtime": showtime.pk, "seats": [{"seat": first.pk}]}
    )
    # the user; price rules; the customer (lock, opening the transaction), the showtime
    # (share-locked and read with its venue), the customer's live holds and pending one for the
    # showtime (none: nothing to lock), the row's seats (lock); the booking; its tickets, claims
    # and seat changes (one trip); COMMIT
    with django_assert_num_queries(9):
        held = client.post(
            "/api/v1/bookings/", {"showtime": showtime.pk, "seats": [{"seat": seat.pk}]}
        )
    assert held.status_code == 201
    # The request, 20:
    # - the user; the key (an insert, committed alone)
    # - the booking with its showtime, movie, hall and cinema, and whether any payment of it
    #   has an unknown outcome (none: no more reads)
    # - reserve: the showtime (share-locked and read, opening the transaction), the booking
    #   (locked), the payment and its event, COMMIT - a live hold's seats need no look
    # - the sandbox provider's ledger: one insert
    # - settle: the showtime (opening the transaction) and the booking again, another
    #   payment's money?, the tickets with their seats, the seats (locked); the
    #   claims, seat changes, tickets' codes and the booking (one trip); its mail (one outbox
    #   row: rendered when sent), the payment and its event, COMMIT
    # - the key's stored answer (the answer itself is made of what was loaded: no reads)
    # The mail's delivery, 9 (Celery runs eagerly here; a worker's, in production): the claim,
    # the row, the booking, its tickets, its payment; the rendered mail (opening the
    # transaction) and its files, COMMIT; sent.
    with django_assert_num_queries(20 + 9):
        paid = client.post(
            f"/api/v1/bookings/{held.json()['id']}/pay/",
            {"card": card()},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pay-1",
        )
    assert paid.status_code == 200, paid.content


def test_a_new_hold_hands_back_its_tickets_as_a_queryset(
    customer, showtime, django_assert_num_queries
):
    """The tickets come loaded (no query to render them), and the rest of the related manager
    still works on them."""
    seat = showtime.hall.seats.order_by("pk").first()
    booking = services.booking_create(
        user=customer, showtime_id=showtime.pk, seats=[services.SeatRequest(seat.pk, "ADULT")]
    )
    with django_assert_num_queries(0):
        assert [ticket.seat_id for ticket in booking.tickets.all()] == [seat.pk]
    assert booking.tickets.get().seat_id == seat.pk
    assert booking.tickets.filter(seat=seat).exists()

"""Customers selling a showtime out over HTTP, as browsers showing the seat map would.

Each client reads the seat map at the start and after every refusal, and books 1-4 random free
seats - or, when those would leave a seat alone (400 `single_seat_gap`), the seats the answer
suggests instead, as a customer would in the app - (and, if asked, pays for them at once), until
no seat is left. Every successful booking
moves the client on to a fresh account: a customer's new hold would release their previous one.

With `best`, each client asks for 1-4 seats by quantity instead (best available, chosen by the
server under the lock) and reads no seat map; a 409 `seats_unavailable` says how many are left,
and the client asks for at most that many next, until none is.

With a promo code, every booking asks for it; once it answers `promotion_exhausted`, the client
books the same seats without it, as a customer would, and asks no more.
"""

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field

from bench.client import Load, fan_out, request, run_threads

CLIENTS_PER_PROCESS = 4

# The ids of available seats in a seat map, read without a JSON parser: the clients share the
# machine with the server, and parsing 500 seats after every conflict would cost a tenth of it.
# (Checked against the JSON in `seat_map_free`.)
AVAILABLE_SEAT = re.compile(rb'\{"id":(\d+),"row":[^}]*\},"pair":(?:\d+|null),"status":"available"')

PAY_BODY = {
    "card": {
        "number": "4242424242424242",
        "exp_month": 12,
        "exp_year": 2035,
        "cvc": "123",
        "holder_name": "Bench",
    }
}


def seat_map_free(payload: bytes) -> list[int]:
    """The same ids, the slow and obvious way."""
    return [s["id"] for s in json.loads(payload)["seats"] if s["status"] == "available"]


@dataclass
class Sale:
    """What one sell-out saw: the booking requests, the payment requests, the holds made."""

    bookings: Load = field(default_factory=Load)
    payments: Load = field(default_factory=Load)
    holds: int = 0
    discounted: int = 0  # holds made with the promo code

    def merge(self, other: "Sale") -> None:
        self.bookings.merge(other.bookings)
        self.payments.merge(other.payments)
        self.holds += other.holds
        self.discounted += other.discounted


class _Customers:
    """In one client process: the threads selling one showtime, sharing a list of accounts."""

    def __init__(
        self,
        port: int,
        showtime_id: int,
        tokens: list[str],
        seed: int,
        pay: bool,
        best: bool = False,
        promo_code: str | None = None,
        most_seats: int = 4,
    ):
        self.port, self.showtime_id, self.seed, self.pay = port, showtime_id, seed, pay
        self.best, self.promo_code, self.most_seats = best, promo_code, most_seats
        self.accounts, self.lock = iter(tokens), threading.Lock()
        self.sale = Sale(Load(first_start=time.time()), Load(first_start=time.time()))

    def next_account(self) -> str | None:
        with self.lock:
            return next(self.accounts, None)

    def free_seats(self, *, check: bool) -> list[int]:
        path = f"/api/v1/showtimes/{self.showtime_id}/seats/"
        status, payload, _ = request(self.port, "GET", path)
        if status != 200:
            raise RuntimeError(f"seat map of showtime {self.showtime_id} answered {status}")
        free = [int(seat_id) for seat_id in AVAILABLE_SEAT.findall(payload)]
        if check:
            assert free == seat_map_free(payload), "the seat map reader is wrong"
        return free

    def book(self, seats: list[int], token: str, code: str | None) -> tuple[int, bytes, float]:
        body = {"showtime": self.showtime_id, "seats": [{"seat": seat} for seat in seats]}
        if code:
            body["promo_code"] = code
        return request(self.port, "POST", "/api/v1/bookings/", body, token)

    def book_best(self, quantity: int, token: str) -> tuple[int, bytes, float]:
        body = {"showtime": self.showtime_id, "quantity": quantity}
        return request(self.port, "POST", "/api/v1/bookings/", body, token)

    def pay_for(self, booking_id: int, token: str) -> tuple[int, bytes, float]:
        path, key = f"/api/v1/bookings/{booking_id}/pay/", f"bench-{booking_id}"
        return request(self.port, "POST", path, PAY_BODY, token, headers={"Idempotency-Key": key})

    def client(self, index: int) -> None:
        """One browser, from account to account, until the seat map shows no free seat."""
        rng, mine = random.Random(self.seed * 1000 + index), Sale()
        token, free, checked, offered = self.next_account(), [], False, None
        while token is not None:
            if not free:
                free, checked = self.free_seats(check=not checked), True
                if not free:
                    break
            wanted = offered or rng.sample(free, min(len(free), rng.randint(1, self.most_seats)))
            offered = None
            code = self.promo_code
            status, payload, elapsed = self.book(wanted, token, code)
            mine.bookings.record(status, elapsed)
            if status == 400 and b'"promotion_exhausted"' in payload:
                self.promo_code = None  # used up: book the same seats without it
                continue
            if status == 400 and b'"single_seat_gap"' in payload:
                # The app offers as many seats nearby that leave nobody alone: take them.
                offered = json.loads(payload)["error"]["details"].get("suggestion") or None
                if offered:
                    continue
            if status != 201:
                free = []  # someone was faster: look at the seat map again, as a browser would
                continue
            mine.holds += 1
            mine.discounted += bool(code)
            free = [seat for seat in free if seat not in wanted]
            if self.pay:
                status, _, elapsed = self.pay_for(json.loads(payload)["id"], token)
                mine.payments.record(status, elapsed)
            token = self.next_account()
        with self.lock:
            self.sale.merge(mine)

    def client_best(self, index: int) -> None:
        """One customer after another asking for the best 1-4 seats, until none is left."""
        rng, mine = random.Random(self.seed * 1000 + index), Sale()
        token, most = self.next_account(), 4
        while token is not None:
            status, payload, elapsed = self.book_best(min(rng.randint(1, 4), most), token)
            mine.bookings.record(status, elapsed)
            if status == 201:
                mine.holds += 1
                if self.pay:
                    status, _, elapsed = self.pay_for(json.loads(payload)["id"], token)
                    mine.payments.record(status, elapsed)
                token = self.next_account()
            elif status == 409:  # too few seats left (it says how many), or a lock wait: again
                error = json.loads(payload)["error"]
                if error["code"] == "seats_unavailable":
                    most = error["details"]["available"]
                    if not most:
                        break
            else:
                break  # unexpected: counted (a 5xx fails the run), not retried
        with self.lock:
            self.sale.merge(mine)


def _sell_in_process(
    port: int,
    showtime_id: int,
    tokens: list[str],
    seed: int,
    pay: bool,
    best: bool,
    promo_code: str | None,
    most_seats: int,
) -> Sale:
    customers = _Customers(port, showtime_id, tokens, seed, pay, best, promo_code, most_seats)
    run_threads(customers.client_best if best else customers.client, CLIENTS_PER_PROCESS)
    customers.sale.bookings.last_end = customers.sale.payments.last_end = time.time()
    return customers.sale


def sell_out(
    port: int,
    showtime_id: int,
    tokens: list[str],
    clients: int,
    *,
    pay: bool,
    best: bool = False,
    promo_code: str | None = None,
    most_seats: int = 4,
) -> Sale:
    """`clients` customers, `CLIENTS_PER_PROCESS` to a process, each process with its own share of
    the accounts `tokens`, booking 1 to `most_seats` seats at a time (with `promo_code` while it
    lasts; and with `pay`, paying) until the showtime is sold out; with `best`, by quantity (best
    available) instead of picking seats from the seat map."""
    processes = max(1, clients // CLIENTS_PER_PROCESS)
    share = len(tokens) // processes
    options = (pay, best, promo_code, most_seats)
    calls = [
        (port, showtime_id, tokens[i * share : (i + 1) * share], i, *options)
        for i in range(processes)
    ]
    total = Sale()
    for sale in fan_out(_sell_in_process, calls):
        total.merge(sale)
    return total

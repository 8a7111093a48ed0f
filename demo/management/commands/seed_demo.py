"""Demo data for trying the app: accounts, a catalog, two cinemas and a week of showtimes.

Idempotent: every object is looked up by its natural key first, so a second run changes nothing.
Everything goes through the apps' services, so the schedule obeys the same rules as the API.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Role, User
from booking import services as booking_services
from booking.models import Booking
from catalog import services as catalog_services
from catalog.models import Genre, Movie
from payments import services as payments_services
from payments.cards import CardDetails
from screening import services as screening_services
from screening.models import Cinema, Hall, Showtime
from screening.selectors import showtimes_upcoming

ACCOUNTS = [
    ("admin@cinema.local", "Demo-Admin-2026", Role.ADMIN, "Ada", "Admin"),
    ("staff@cinema.local", "Demo-Staff-2026", Role.STAFF, "Sam", "Boxoffice"),
    ("customer@cinema.local", "Demo-Customer-2026", Role.CUSTOMER, "Cara", "Customer"),
]

# Moviegoers with bookings in the demo day (their password is the customer's own).
GUESTS = [
    ("customer@cinema.local", "Cara", "Customer"),
    ("guest1@cinema.local", "Gus", "Guest"),
    ("guest2@cinema.local", "Gwen", "Guest"),
    ("guest3@cinema.local", "Glen", "Guest"),
    ("guest4@cinema.local", "Gaia", "Guest"),
]
GUEST_PASSWORD = "Demo-Customer-2026"  # noqa: S105 (a published demo password)

GENRES = [
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Drama",
    "Family",
    "Horror",
    "Sci-Fi",
    "Thriller",
]

# title, minutes, rating, genres, director, cast, days from today to release
MOVIES = [
    (
        "The Last Lighthouse",
        118,
        "PG-13",
        ["Drama", "Thriller"],
        "Mira Okafor",
        "Lena Voss, Tomas Reyes",
        -40,
    ),
    (
        "Orbit of Ashes",
        142,
        "PG-13",
        ["Sci-Fi", "Action"],
        "Daniel Kress",
        "Ife Adeyemi, Jon Park",
        -21,
    ),
    (
        "Paper Kingdoms",
        96,
        "PG",
        ["Animation", "Family"],
        "Sofia Marin",
        "Voice of Ana Lee, Voice of Raj Patel",
        -14,
    ),
    ("Midnight Laundromat", 101, "R", ["Comedy"], "Greg Hollis", "Nora Blake, Omar Said", -10),
    (
        "Salt and Iron",
        155,
        "R",
        ["Action", "Adventure"],
        "Kenji Watanabe",
        "Aiko Mori, Ben Carter",
        -7,
    ),
    (
        "The Quiet Orchard",
        112,
        "PG",
        ["Drama", "Family"],
        "Hanna Lind",
        "Elsa Berg, Karl Nyman",
        -30,
    ),
    (
        "Static Bloom",
        98,
        "NC-17",
        ["Horror", "Thriller"],
        "Vera Novak",
        "Ivo Petrov, Mila Horvat",
        -5,
    ),
    (
        "Cartographers",
        134,
        "PG-13",
        ["Adventure", "Drama"],
        "Luis Ortega",
        "Pilar Ruiz, Sam Whitaker",
        -60,
    ),
    (
        "Small Gods of Brooklyn",
        107,
        "R",
        ["Comedy", "Drama"],
        "Tasha Greene",
        "Marcus Bell, Rosa Diaz",
        -3,
    ),
    ("Glasswing", 121, "G", ["Animation", "Adventure"], "Emil Novak", "Voice of June Kim", 20),
    (
        "Nightshift Protocol",
        128,
        "R",
        ["Thriller", "Action"],
        "Ava Stone",
        "Chris Yoon, Dana Frost",
        35,
    ),
    (
        "Echoes Under Ice",
        139,
        "PG-13",
        ["Sci-Fi", "Horror"],
        "Pavel Orlov",
        "Anya Sokol, Liam Hart",
        50,
    ),
]

STANDARD, VIP, ACCESSIBLE = "STANDARD", "VIP", "ACCESSIBLE"


def _rows(*rows: tuple[str, int, str, list[int]]) -> dict:
    return {
        "rows": [
            {"label": label, "seats": seats, "type": seat_type, "aisles_after": aisles}
            for label, seats, seat_type, aisles in rows
        ]
    }


LAYOUTS = {
    "Hall 1": _rows(
        ("A", 14, ACCESSIBLE, [3, 11]),
        *((label, 18, STANDARD, [4, 14]) for label in "BCDEFGHIJ"),
        ("K", 18, VIP, [4, 14]),
        ("L", 18, VIP, [4, 14]),
    ),
    "Hall 2": _rows(
        ("A", 10, ACCESSIBLE, [5]),
        *((label, 14, STANDARD, [7]) for label in "BCDEFG"),
        ("H", 14, VIP, [7]),
    ),
    "Hall 3": _rows(
        ("A", 8, ACCESSIBLE, [4]),
        ("B", 10, VIP, [5]),
        ("C", 10, VIP, [5]),
        ("D", 10, VIP, [5]),
    ),
}

CINEMAS = [
    ("Grand Central Cinema", "89 E 42nd St", "New York", "America/New_York"),
    ("Riverside Picturehouse", "12 Southbank Walk", "London", "Europe/London"),
]

# Three hours apart: the longest demo movie plus cleaning fits in a slot.
SLOTS = [time(12, 0), time(15, 0), time(18, 0), time(21, 0)]
FORMAT_AND_PRICE = {
    "Hall 1": ("IMAX", Decimal("16.00")),
    "Hall 2": ("3D", Decimal("13.50")),
    "Hall 3": ("2D", Decimal("11.00")),
}
DAYS = 7


class Command(BaseCommand):
    help = (
        "Load demo accounts, movies, cinemas, halls, a week of showtimes and a day of sales "
        "(idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG=False. The demo accounts' passwords are public.",
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "The demo accounts have published passwords; refusing with DEBUG=False. "
                "Pass --allow-production if this database is really for a demo."
            )
        # Each service owns its transaction; every step looks its objects up first, so a run
        # that stopped half-way is completed by the next one.
        created = self._accounts() + self._catalog() + self._cinemas() + self._showtimes()
        created += self._sales()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} objects created)."))
        self.stdout.write("Log in with:")
        for email, password, role, *_ in ACCOUNTS:
            self.stdout.write(f"  {role:<9} {email:<24} {password}")

    def _accounts(self) -> int:
        created = 0
        for email, password, role, first_name, last_name in ACCOUNTS:
            if not User.objects.filter(email=email).exists():
                _user_create(email, password, role, first_name, last_name)
                created += 1
        return created

    def _catalog(self) -> int:
        created = 0
        for name in GENRES:
            if not Genre.objects.filter(name=name).exists():
                catalog_services.genre_create(name=name)
                created += 1
        genres = {genre.name: genre for genre in Genre.objects.all()}
        for title, minutes, rating, genre_names, director, cast, release_in in MOVIES:
            if Movie.objects.filter(title=title).exists():
                continue
            catalog_services.movie_create(
                title=title,
                synopsis=f"{title}: a demo feature.",
                duration_minutes=minutes,
                release_date=date.today() + timedelta(days=release_in),
                rating=rating,
                genres=[genres[name] for name in genre_names],
                director=director,
                cast=cast.split(", "),
                poster_url=f"https://posters.example.com/{title.lower().replace(' ', '-')}.jpg",
            )
            created += 1
        return created

    def _cinemas(self) -> int:
        created = 0
        for name, address, city, zone in CINEMAS:
            cinema = Cinema.objects.filter(name=name).first()
            if cinema is None:
                cinema = screening_services.cinema_create(
                    name=name, address=address, city=city, timezone=zone
                )
                created += 1
            for hall_name, layout in LAYOUTS.items():
                if not Hall.objects.filter(cinema=cinema, name=hall_name).exists():
                    screening_services.hall_create(cinema=cinema, name=hall_name, layout=layout)
                    created += 1
        return created

    def _showtimes(self) -> int:
        """Four slots a day for a week in every hall, movies rotating; past slots are skipped."""
        released = list(Movie.objects.filter(release_date__lte=date.today()).order_by("title"))
        now = timezone.now()
        created = 0
        for cinema in Cinema.objects.filter(name__in=[c[0] for c in CINEMAS]):
            today = now.astimezone(cinema.zone).date()
            for hall_index, hall in enumerate(
                cinema.halls.filter(name__in=LAYOUTS).order_by("name")
            ):
                format_, price = FORMAT_AND_PRICE[hall.name]
                for day in range(DAYS):
                    for slot_index, slot in enumerate(SLOTS):
                        starts_at = datetime.combine(
                            today + timedelta(days=day), slot, tzinfo=cinema.zone
                        )
                        if (
                            starts_at <= now
                            or Showtime.objects.filter(hall=hall, starts_at=starts_at).exists()
                        ):
                            continue
                        movie = released[(day + hall_index * 3 + slot_index) % len(released)]
                        screening_services.showtime_schedule(
                            movie=movie,
                            hall=hall,
                            starts_at=starts_at,
                            base_price=price,
                            format=format_,
                        )
                        created += 1
        return created

    def _sales(self) -> int:
        """A realistic day at the box office on each cinema's next showtimes: paid bookings, a
        hold, a cancelled and refunded booking, a partial refund and a checked-in ticket - all
        through the booking and payment services, so every seat map, list and report has
        something to show. Skipped once the demo customers have bookings."""
        customers = [self._guest(index) for index in range(len(GUESTS))]
        if Booking.objects.filter(user__in=customers).exists():
            return 0
        admin = User.objects.get(email=ACCOUNTS[0][0])
        staff = User.objects.get(email=ACCOUNTS[1][0])
        card = CardDetails(
            number="4242424242424242",
            exp_month=12,
            exp_year=date.today().year + 3,
            cvc="123",
            holder_name="Demo Customer",
        )
        created = 0
        for cinema in Cinema.objects.filter(name__in=[c[0] for c in CINEMAS]).order_by("pk"):
            # Far enough ahead that a customer may still cancel.
            upcoming = showtimes_upcoming(now=timezone.now() + timedelta(hours=2)).filter(
                hall__cinema=cinema
            )
            upcoming = upcoming.order_by("starts_at")
            for showtime in upcoming[:2]:
                paid = []
                for index, customer in enumerate(customers):
                    booking = booking_services.booking_create(
                        user=customer,
                        showtime_id=showtime.pk,
                        pick=booking_services.SeatPick(quantity=2 + index % 2),
                    )
                    created += 1
                    if index == len(customers) - 1:
                        continue  # the last customer is still choosing: a live hold
                    booking, payment = payments_services.booking_pay(
                        user=customer, booking_id=booking.pk, card=card
                    )
                    paid.append((booking, payment))
                cancelled, _ = paid[0]
                booking_services.booking_cancel(
                    booking_id=cancelled.pk, by=cancelled.user, reason="Plans changed."
                )
                _, partly = paid[1]
                payments_services.payment_refund(
                    payment_id=partly.pk, amount=Decimal("5.00"), reason="Late start.", by=admin
                )
                door, _ = paid[2]
                booking_services.ticket_check_in(code=door.tickets.all()[0].code, by=staff)
        return created

    def _guest(self, index: int) -> User:
        email, first_name, last_name = GUESTS[index]
        user = User.objects.filter(email=email).first()
        return user or _user_create(email, GUEST_PASSWORD, Role.CUSTOMER, first_name, last_name)


def _user_create(email: str, password: str, role: str, first_name: str, last_name: str) -> User:
    return accounts_services.user_create(
        email=email, password=password, role=role, first_name=first_name, last_name=last_name
    )

"""Two staff members scheduling one hall at the same instant, on real MariaDB connections."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import MovieFactory
from core.testing import client_for, run_concurrently, slowed
from screening.models import Showtime

from .factories import HallFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_overlapping_schedules_in_one_hall_only_one_wins():
    staff = UserFactory(staff=True)
    hall = HallFactory()
    other_hall = HallFactory(cinema=hall.cinema)
    movies = [MovieFactory() for _ in range(THREADS)]
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)

    def schedule(i):
        return client_for(staff).post(
            "/api/v1/showtimes/",
            {
                "movie": movies[i].pk,
                "hall": hall.pk,
                # Every slot overlaps every other one (120 min movies, 10 min apart).
                "starts_at": (start + timedelta(minutes=10 * i)).isoformat(),
                "base_price": "10.00",
            },
        )

    with slowed("screening.services._overlap_check"):
        responses = run_concurrently(schedule, THREADS)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (THREADS - 1), [r.content for r in responses]
    assert Showtime.objects.filter(hall=hall).count() == 1
    for response in responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["code"] == "hall_busy"
            assert error["details"]["available_halls"] == [
                {"id": other_hall.pk, "name": other_hall.name}
            ]

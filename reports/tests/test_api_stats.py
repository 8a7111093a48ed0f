import csv
import io

import pytest

from core.testing import ROLES, client_for, matrix_cell

from .month import known_month

pytestmark = pytest.mark.django_db

STATS = "/api/v1/admin/stats/"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def month():
    return known_month()


@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_see_the_report(users, role):
    expected = {
        "anonymous": 401,
        "customer": 403,
        "other_customer": 403,
        "staff": 403,
        "admin": 200,
    }
    response = matrix_cell(users, role, "get", lambda _: STATS, {}, expected, subject=None)
    if role != "admin":
        assert response["Content-Type"] == "application/json"
        assert "error" in response.json()


@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_errors_are_json_even_when_csv_is_asked_for(users, role):
    response = client_for(users[role]).get(STATS, {"format": "csv"})
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),
        ({"cinema": "north"}, "cinema"),
        ({"cinema": "0"}, "cinema"),
        ({"movie": "1.5"}, "movie"),
        ({"breakdown": "by_weather"}, "breakdown"),
    ],
)
def test_bad_queries_are_400_in_the_envelope(admin_api, query, field):
    response = admin_api.get(STATS, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


def test_bad_query_with_csv_is_json_too(admin_api):
    response = admin_api.get(STATS, {"from": "nope", "format": "csv"})
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")


def test_the_default_period_is_the_last_30_days(admin_api):
    body = admin_api.get(STATS).json()
    assert len(body["by_day"]) == 30
    assert body["by_day"][-1]["date"] == body["to"]
    assert body["by_day"][0]["date"] == body["from"]


def test_the_report_as_json(admin_api, month):
    body = admin_api.get(STATS, MARCH).json()
    assert (body["from"], body["to"], body["cinema"], body["movie"]) == (
        "2026-03-01",
        "2026-03-31",
        None,
        None,
    )
    assert body["revenue"] == {
        "gross": "164.00",
        "discounts": "16.50",
        "refunds": "46.50",
        "net": "101.00",
        "currency": "USD",
    }
    assert (body["tickets_sold"], body["bookings"]) == (12, 7)
    assert body["occupancy"] == {"sold": 12, "seats": 16, "fraction": 0.75, "percent": 75.0}
    movie_two = body["by_movie"][0]
    assert movie_two["title"] == "Movie Two"
    assert movie_two["revenue"]["net"] == "63.00"
    showtime = next(row for row in body["by_showtime"] if row["status"] == "cancelled")
    assert showtime["occupancy"] == {"sold": 0, "seats": 0, "fraction": None, "percent": None}
    assert showtime["starts_at"] == "2026-03-20T18:00:00Z"
    assert [row["payment_method"] for row in body["by_payment_method"]] == [
        "CARD",
        "CARD_PRESENT",
        "CASH",
        "FREE",
    ]
    assert [row["ticket_type"] for row in body["by_ticket_type"]] == [
        "ADULT",
        "CHILD",
        "SENIOR",
        "STUDENT",
    ]
    fourteenth = next(row for row in body["by_day"] if row["date"] == "2026-03-14")
    assert fourteenth["revenue"]["gross"] == "28.50"
    assert [row["name"] for row in body["by_cinema"]] == ["North", "South"]


def test_filters(admin_api, month):
    body = admin_api.get(STATS, {**MARCH, "cinema": month.south.pk}).json()
    assert (body["cinema"], body["revenue"]["net"], body["tickets_sold"]) == (
        month.south.pk,
        "48.00",
        6,
    )
    body = admin_api.get(STATS, {**MARCH, "movie": month.movie_one.pk}).json()
    assert (body["movie"], body["revenue"]["net"]) == (month.movie_one.pk, "38.00")


def test_one_breakdown(admin_api, month):
    body = admin_api.get(STATS, {**MARCH, "breakdown": "by_cinema"}).json()
    assert "by_cinema" in body
    assert not {"by_movie", "by_showtime", "by_day"} & set(body)
    assert body["revenue"]["net"] == "101.00"


@pytest.mark.parametrize(
    "period",
    [
        {"from": "2026-03-10", "to": "2026-03-10"},
        MARCH,
        {"from": "2025-04-01", "to": "2026-03-31"},
    ],
)
def test_a_constant_number_of_queries_whatever_the_range(
    admin_api, month, period, django_assert_num_queries
):
    # The user of the token; the cinemas; the rollups' state (never refreshed: all is live);
    # money by showtime, day and method; money by ticket type; the tickets sold; the showtimes.
    with django_assert_num_queries(7):
        response = admin_api.get(STATS, period)
    assert response.status_code == 200


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_report_as_csv(admin_api, month):
    response = admin_api.get(STATS, {**MARCH, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="cinema-report_2026-03-01_2026-03-31.csv"'
    )
    assert b"\r\n" in response.content
    lines = read_csv(response)
    assert lines[0] == ["report", "from", "to", "cinema", "movie", "currency"]
    assert lines[1] == ["sales", "2026-03-01", "2026-03-31", "all", "all", "USD"]
    total = lines.index(["total"])
    assert lines[total + 1][:5] == ["gross", "discounts", "refunds", "net", "currency"]
    assert lines[total + 2] == [
        "164.00",
        "16.50",
        "46.50",
        "101.00",
        "USD",
        "12",
        "7",
        "16",
        "75.00",
    ]
    titles = [line[0] for line in lines if len(line) == 1]
    assert titles == [
        "total",
        "by_movie",
        "by_showtime",
        "by_cinema",
        "by_day",
        "by_ticket_type",
        "by_payment_method",
    ]
    by_day = lines.index(["by_day"])
    assert lines[by_day + 1][0] == "date"
    assert len(lines[by_day + 2 : by_day + 2 + 31]) == 31


def test_one_breakdown_as_a_csv_file_of_its_own(admin_api, month):
    response = admin_api.get(STATS, {**MARCH, "format": "csv", "breakdown": "by_movie"})
    assert response["Content-Disposition"].endswith('_by-movie.csv"')
    lines = read_csv(response)
    assert lines[0] == ["movie", "title", *lines[0][2:]]
    assert [line[1] for line in lines[1:]] == ["Movie Two", "Movie One"]
    assert lines[1][2:6] == ["71.50", "0.00", "8.50", "63.00"]


def test_csv_text_cannot_become_a_formula(admin_api, month):
    month.movie_two.title = "=HYPERLINK(1)"
    month.movie_two.save()
    response = admin_api.get(STATS, {**MARCH, "format": "csv", "breakdown": "by_movie"})
    assert read_csv(response)[1][1] == "'=HYPERLINK(1)"


def test_the_schema_documents_the_report(admin_api):
    schema = admin_api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/admin/stats/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "from",
        "to",
        "cinema",
        "movie",
        "breakdown",
        "format",
    }
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}


@pytest.mark.parametrize("format_", ["xml", "senior"])
def test_a_format_other_than_json_or_csv_is_400(admin_api, format_):
    response = admin_api.get(STATS, {"format": format_})
    assert response.status_code == 400
    assert "format" in response.json()["error"]["details"]

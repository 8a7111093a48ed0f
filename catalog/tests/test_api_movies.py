import pytest

from catalog.models import Movie
from core.testing import ROLES, matrix_cell
from screening.models import Showtime
from screening.tests.factories import ShowtimeFactory

from .factories import GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db

MOVIES = "/api/v1/movies/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [movie["id"] for movie in response.json()["results"]]


def movie_payload(**overrides) -> dict:
    return {
        "title": "Arrival",
        "synopsis": "Linguist meets heptapods.",
        "duration_minutes": 116,
        "release_date": "2026-11-11",
        "rating": "PG-13",
        "director": "Denis Villeneuve",
        "cast": ["Amy Adams", "Jeremy Renner"],
        "language": "English",
        "poster_url": "https://img.example.com/arrival.jpg",
        "trailer_url": "https://video.example.com/arrival",
        **overrides,
    }


def test_genres_are_listed_for_anyone(api_client):
    GenreFactory(name="Drama", slug="drama")
    GenreFactory(name="Action", slug="action")
    assert [g["slug"] for g in api_client.get("/api/v1/genres/").json()] == ["action", "drama"]


def test_search_covers_title_director_and_cast(api_client):
    by_title = MovieFactory(title="Blade Runner")
    by_director = MovieFactory(director="Greta Gerwig")
    by_cast = MovieFactory(cast="Saoirse Ronan, Timothee Chalamet")
    MovieFactory()
    assert ids(api_client.get(MOVIES, {"search": "blade"})) == [by_title.pk]
    assert ids(api_client.get(MOVIES, {"search": "gerwig"})) == [by_director.pk]
    assert ids(api_client.get(MOVIES, {"search": "chalamet"})) == [by_cast.pk]


def test_status_is_derived_from_upcoming_showtimes(api_client):
    showing = MovieFactory(title="A")
    ShowtimeFactory(movie=showing)
    only_past = MovieFactory(title="B")
    ShowtimeFactory(movie=only_past, past=True)
    only_cancelled = MovieFactory(title="C")
    ShowtimeFactory(movie=only_cancelled, cancelled=True)
    nothing = MovieFactory(title="D")

    statuses = {m["id"]: m["status"] for m in api_client.get(MOVIES).json()["results"]}
    assert statuses == {
        showing.pk: "now_showing",
        only_past.pk: "coming_soon",
        only_cancelled.pk: "coming_soon",
        nothing.pk: "coming_soon",
    }
    assert ids(api_client.get(MOVIES, {"status": "now_showing"})) == [showing.pk]
    assert len(ids(api_client.get(MOVIES, {"status": "coming_soon"}))) == 3


def test_filters_by_genre_and_rating_and_orders(api_client):
    drama = GenreFactory(name="Drama", slug="drama")
    dramatic = MovieFactory(title="Z", genres=[drama], rating="R")
    MovieFactory(title="A", rating="G")
    assert ids(api_client.get(MOVIES, {"genre": drama.pk})) == [dramatic.pk]
    assert ids(api_client.get(MOVIES, {"rating": "R"})) == [dramatic.pk]
    titles = [m["title"] for m in api_client.get(MOVIES, {"ordering": "-title"}).json()["results"]]
    assert titles == ["Z", "A"]


@pytest.mark.parametrize(
    "params",
    [{"status": "retired"}, {"rating": "X"}, {"genre": "drama"}, {"page": "0"}, {"page": 5}],
)
def test_bad_filter_values_are_4xx(api_client, params):
    MovieFactory()
    response = api_client.get(MOVIES, params)
    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("validation_error", "not_found")


def test_pagination(api_client):
    for _ in range(5):
        MovieFactory()
    body = api_client.get(MOVIES, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"]
    assert body["previous"]
    capped = api_client.get(MOVIES, {"page_size": 1000}).json()
    assert len(capped["results"]) == 5


@pytest.mark.parametrize("count", [2, 25])
def test_movie_list_takes_a_constant_number_of_queries(
    api_client, django_assert_num_queries, count
):
    genres = [GenreFactory(), GenreFactory()]
    for _ in range(count):
        ShowtimeFactory(movie=MovieFactory(genres=genres))
    with django_assert_num_queries(3):  # count, page with status, genres
        body = api_client.get(MOVIES, {"page_size": 100}).json()
    assert len(body["results"]) == count
    assert all(len(m["genres"]) == 2 for m in body["results"])


def test_detail_includes_upcoming_showtimes_in_one_query(api_client, django_assert_num_queries):
    movie = MovieFactory(genres=[GenreFactory()])
    upcoming = [ShowtimeFactory(movie=movie) for _ in range(6)]
    ShowtimeFactory(movie=movie, past=True)
    ShowtimeFactory(movie=movie, cancelled=True)
    with django_assert_num_queries(3):  # movie, genres, showtimes
        body = api_client.get(f"{MOVIES}{movie.pk}/").json()
    assert body["status"] == "now_showing"
    assert {s["id"] for s in body["upcoming_showtimes"]} == {s.pk for s in upcoming}
    first = body["upcoming_showtimes"][0]
    assert {"starts_at", "ends_at", "hall", "cinema", "base_price", "seats_available"} <= set(first)


def test_staff_create_update_and_delete(staff_api):
    drama = GenreFactory()
    created = staff_api.post(MOVIES, movie_payload(genres=[drama.pk]))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["cast"] == ["Amy Adams", "Jeremy Renner"]
    assert body["genres"] == [{"id": drama.pk, "name": drama.name, "slug": drama.slug}]
    assert body["status"] == "coming_soon"
    url = f"{MOVIES}{body['id']}/"

    patched = staff_api.patch(url, {"title": "Arrival (2016)", "genres": []})
    assert patched.json()["title"] == "Arrival (2016)"
    assert patched.json()["genres"] == []
    assert patched.json()["director"] == "Denis Villeneuve"

    replaced = staff_api.put(url, movie_payload(title="Sicario", cast=[]))
    assert replaced.status_code == 200
    assert (replaced.json()["title"], replaced.json()["cast"]) == ("Sicario", [])
    incomplete = staff_api.put(url, {"title": "Only a title"})
    assert incomplete.status_code == 400

    assert staff_api.delete(url).status_code == 204
    assert not Movie.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": "X"}, "rating"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 601}, "duration_minutes"),
        ({"duration_minutes": "long"}, "duration_minutes"),
        ({"release_date": "11/11/2016"}, "release_date"),
        ({"poster_url": "javascript:alert(1)"}, "poster_url"),
        ({"trailer_url": "not a url"}, "trailer_url"),
        ({"cast": ["Smith, John"]}, "cast"),
        ({"cast": "Amy Adams"}, "cast"),
        ({"genres": [999999]}, "genres"),
        ({"title": ""}, "title"),
    ],
)
def test_movie_writes_reject_bad_input(staff_api, change, field):
    response = staff_api.post(MOVIES, movie_payload(**change))
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Movie.objects.exists()


def test_duration_is_fixed_while_showtimes_are_scheduled(staff_api):
    showtime = ShowtimeFactory()
    url = f"{MOVIES}{showtime.movie_id}/"
    response = staff_api.patch(url, {"duration_minutes": 200})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "movie_has_showtimes"
    assert staff_api.patch(url, {"duration_minutes": 120}).status_code == 200


def test_deleting_a_movie_without_bookings_removes_its_showtimes(staff_api):
    showtime = ShowtimeFactory()
    assert staff_api.delete(f"{MOVIES}{showtime.movie_id}/").status_code == 204
    assert not Showtime.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "get",
            lambda m: MOVIES,
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda m: f"{MOVIES}{m.pk}/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda m: "/api/v1/genres/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda m: MOVIES,
            movie_payload(),
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 201, "admin": 201},
        ),
        (
            "put",
            lambda m: f"{MOVIES}{m.pk}/",
            movie_payload(),
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 200, "admin": 200},
        ),
        (
            "patch",
            lambda m: f"{MOVIES}{m.pk}/",
            {"title": "New"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 200, "admin": 200},
        ),
        (
            "delete",
            lambda m: f"{MOVIES}{m.pk}/",
            None,
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 204, "admin": 204},
        ),
        (
            "post",
            lambda m: "/api/v1/genres/",
            {"name": "X"},
            {"anonymous": 405, "customer": 405, "other_customer": 405, "staff": 405, "admin": 405},
        ),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(users, role, method, path, body, expected):
    matrix_cell(users, role, method, path, body, expected, subject=MovieFactory())

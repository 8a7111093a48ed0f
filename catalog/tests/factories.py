import datetime

import factory

from catalog.models import Genre, Movie, Rating


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda g: g.name.lower().replace(" ", "-"))


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Movie {n}")
    synopsis = "A story."
    duration_minutes = 120
    release_date = datetime.date(2026, 1, 1)
    rating = Rating.PG_13
    director = "Ava Director"
    cast = "Lead Actor, Second Actor"
    language = "English"

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        if create and extracted:
            self.genres.set(extracted)

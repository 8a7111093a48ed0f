from core.routers import Router

from . import movies, views

router = Router()
router.register("movies", movies.MovieViewSet, basename="movie")
router.register("cinemas", views.CinemaViewSet, basename="cinema")
router.register("halls", views.HallViewSet, basename="hall")
router.register("showtimes", views.ShowtimeViewSet, basename="showtime")

urlpatterns = router.urls

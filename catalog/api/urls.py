from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("genres", views.GenreViewSet, basename="genre")
router.register("movies", views.MovieViewSet, basename="movie")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("cinemas", views.CinemaViewSet, basename="cinema")
router.register("halls", views.HallViewSet, basename="hall")
router.register("showtimes", views.ShowtimeViewSet, basename="showtime")

urlpatterns = router.urls

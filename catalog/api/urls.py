from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("genres", views.GenreViewSet, basename="genre")

urlpatterns = router.urls

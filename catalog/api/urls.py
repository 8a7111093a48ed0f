from core.routers import Router

from . import views

router = Router()
router.register("genres", views.GenreViewSet, basename="genre")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("promotions", views.PromotionViewSet, basename="promotion")

urlpatterns = router.urls

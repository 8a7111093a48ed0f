from core.routers import Router

from . import views

router = Router()
router.register("promotions", views.PromotionViewSet, basename="promotion")

urlpatterns = router.urls

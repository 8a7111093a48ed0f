from django.urls import path

from core.routers import Router

from . import views

router = Router()
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path("bookings/<int:pk>/pay/", views.PayView.as_view(), name="booking-pay"),
    path("users/me/cards/", views.CardListView.as_view(), name="card-list"),
    path("users/me/cards/<int:pk>/", views.CardDetailView.as_view(), name="card-detail"),
    path(
        "payments/webhooks/<slug:provider>/",
        views.WebhookView.as_view(),
        name="payment-webhook",
    ),
    *router.urls,
]

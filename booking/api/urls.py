from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("bookings", views.BookingViewSet, basename="booking")

urlpatterns = [
    path("ticket-types/", views.TicketTypeListView.as_view(), name="ticket-types"),
    path("showtimes/<int:pk>/seats/", views.SeatMapView.as_view(), name="showtime-seats"),
    path(
        "showtimes/<int:pk>/best-seats/", views.BestSeatsView.as_view(), name="showtime-best-seats"
    ),
    path("showtimes/<int:pk>/cancel/", views.ShowtimeCancelView.as_view(), name="showtime-cancel"),
    path("checkin/", views.CheckInView.as_view(), name="checkin"),
    *router.urls,
]

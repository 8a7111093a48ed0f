from django.urls import path

from core.routers import Router

from . import seat_maps, views

router = Router()
router.register("bookings", views.BookingViewSet, basename="booking")

urlpatterns = [
    path("ticket-types/", views.TicketTypeListView.as_view(), name="ticket-types"),
    path("showtimes/<int:pk>/seats/", seat_maps.SeatMapView.as_view(), name="showtime-seats"),
    path(
        "showtimes/<int:pk>/best-seats/",
        seat_maps.BestSeatsView.as_view(),
        name="showtime-best-seats",
    ),
    path("showtimes/<int:pk>/cancel/", views.ShowtimeCancelView.as_view(), name="showtime-cancel"),
    path("checkin/", views.CheckInView.as_view(), name="checkin"),
    path("promotions/validate/", views.PromotionValidateView.as_view(), name="promotion-validate"),
    # Files, named as such (no trailing slash): the router's paths are for resources.
    path(
        "bookings/<int:pk>/tickets.html",
        views.BookingViewSet.as_view({"get": "tickets"}),
        name="booking-tickets",
    ),
    path(
        "bookings/<int:pk>/calendar.ics",
        views.BookingViewSet.as_view({"get": "calendar"}),
        name="booking-calendar",
    ),
    *router.urls,
]

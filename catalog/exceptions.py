from rest_framework import status

from core.exceptions import ApplicationError


class MovieHasBookings(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "movie_has_bookings"
    message = "Tickets have been sold for this movie; it cannot be deleted."


class MovieHasShowtimes(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "movie_has_showtimes"
    message = "The duration cannot change while showtimes of this movie are scheduled."

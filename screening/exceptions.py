from rest_framework import status

from core.exceptions import ApplicationError


class HallBusy(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "hall_busy"
    message = "The hall is already booked for part of that time."


class ShowtimeNotEditable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "showtime_not_editable"
    message = "Only scheduled showtimes that have not started can be changed."


class HallHasShowtimes(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "hall_has_showtimes"
    message = "This hall has showtimes; it cannot be deleted."


class HallHasBookings(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "hall_has_bookings"
    message = "This hall has showtimes with bookings; its layout cannot change."


class CinemaHasHalls(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "cinema_has_halls"
    message = "This cinema has halls; delete them first."


class ShowtimeHasBookings(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "showtime_has_bookings"
    message = "This showtime has bookings; cancel it instead."


class MovieHasBookings(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "movie_has_bookings"
    message = "Tickets have been sold for this movie; it cannot be deleted."


class MovieHasShowtimes(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "movie_has_showtimes"
    message = "The duration cannot change while showtimes of this movie are scheduled."

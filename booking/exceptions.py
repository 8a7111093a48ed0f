from rest_framework import status

from core.exceptions import ApplicationError


class SeatsUnavailable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "seats_unavailable"
    message = "Some of these seats are already taken."


class ShowtimeNotBookable(ApplicationError):
    code = "showtime_not_bookable"
    message = "This showtime cannot be booked."


class HoldExpired(ApplicationError):
    status_code = status.HTTP_410_GONE
    code = "hold_expired"
    message = "The hold on these seats has expired and some of them have been taken since."


class BookingNotPayable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "booking_not_payable"
    message = "This booking cannot be paid."


class BookingNotCancellable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "booking_not_cancellable"
    message = "This booking is already cancelled or expired."


class CancellationWindowClosed(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "cancellation_window_closed"
    message = "It is too late to cancel this booking."


class AlreadyCheckedIn(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "already_checked_in"
    message = "This ticket has already been checked in."


class BookingNotConfirmed(ApplicationError):
    code = "booking_not_confirmed"
    message = "This ticket's booking is not confirmed."


class TicketNotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "No ticket has this code."


class BookingNotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "No such booking."


class HoldLimitReached(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "hold_limit_reached"
    message = "You hold too many unpaid bookings; pay for or cancel one first."


class InvalidTicket(ApplicationError):
    code = "invalid_ticket"
    message = "This ticket's QR code is not valid."


class SingleSeatGap(ApplicationError):
    code = "single_seat_gap"
    message = "These seats would leave a single seat alone."


class SeatReservedForAccessibility(ApplicationError):
    code = "seat_reserved_for_accessibility"
    message = "Wheelchair spaces and companion seats are kept for wheelchair users until shortly before the show."


class RulesOverrideForbidden(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    message = "Only staff can override the seat rules."


class ResyncRequired(ApplicationError):
    status_code = status.HTTP_410_GONE
    code = "resync_required"
    message = "These changes are older than the server keeps; load the whole seat map again."

from rest_framework import status

from core.exceptions import ApplicationError


class PaymentDeclined(ApplicationError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    code = "payment_declined"
    message = "The payment was declined."


class PaymentGatewayUnavailable(ApplicationError):
    """The provider did not answer: whether money moved is unknown until reconciliation."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "payment_gateway_unavailable"
    message = (
        "The payment provider did not respond. You have not been charged twice; please try again "
        "in a moment."
    )
    retry_after = 5


class CardLimitReached(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "card_limit_reached"
    message = "You can save at most 3 cards; delete one first."


class PaymentNotRefundable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "payment_not_refundable"
    message = "Only a succeeded payment can be refunded."


class RefundFailed(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "refund_failed"
    message = "The payment provider could not refund now; the refund will be retried."
    retry_after = 30


class InvalidSignature(ApplicationError):
    code = "invalid_signature"
    message = "The webhook signature is missing or wrong."


class CardNotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "No such saved card."


class UnknownProvider(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "No such payment provider."

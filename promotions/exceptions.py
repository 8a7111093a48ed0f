from rest_framework import status

from core.exceptions import ApplicationError


class PromotionError(ApplicationError):
    """A promo code that cannot be used, with a message for the customer."""


class PromotionInvalid(PromotionError):
    code = "promotion_invalid"
    message = "This promo code is not valid."


class PromotionExpired(PromotionError):
    code = "promotion_expired"
    message = "This promo code has expired."


class PromotionExhausted(PromotionError):
    code = "promotion_exhausted"
    message = "This promo code has been used up."


class PromotionNotApplicable(PromotionError):
    code = "promotion_not_applicable"
    message = "This promo code does not apply to this booking."


class PromotionLocked(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "promotion_locked"
    message = "This promotion has been e-mailed: its code and discount can no longer change."


class PromotionInUse(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "promotion_in_use"
    message = "Bookings have used this promotion: switch it off (`active`) instead of deleting it."


class PromotionNotSendable(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "promotion_not_sendable"
    message = "Only an active promotion that has not ended can be e-mailed."

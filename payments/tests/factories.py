import factory

from accounts.tests.factories import UserFactory
from booking.tests.factories import BookingFactory
from payments import services
from payments.cards import CardDetails
from payments.models import Payment, SavedCard

from .helpers import GOOD, card


class PaidBookingPaymentFactory(factory.django.DjangoModelFactory):
    """A real payment made by `booking_pay` with a card that succeeds: its booking CONFIRMED."""

    class Meta:
        model = Payment

    booking = factory.SubFactory(BookingFactory)

    @classmethod
    def _create(cls, model_class, booking, number=GOOD):
        _, payment = services.booking_pay(
            user=booking.user,
            booking_id=booking.pk,
            card=CardDetails(**card(number=number.replace(" ", ""))),
        )
        return payment


class InFlightPaymentFactory(factory.django.DjangoModelFactory):
    """A payment whose request is charging the card now - or died doing it."""

    class Meta:
        model = Payment

    booking = factory.SubFactory(BookingFactory)
    user = factory.LazyAttribute(lambda payment: payment.booking.user)
    amount = factory.LazyAttribute(lambda payment: payment.booking.total)
    currency = factory.LazyAttribute(lambda payment: payment.booking.currency)
    provider = "sandbox"


class SavedCardFactory(factory.django.DjangoModelFactory):
    """A card saved through the provider (`card_save`)."""

    class Meta:
        model = SavedCard

    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, user, **overrides):
        details = card(**overrides)
        details["number"] = details["number"].replace(" ", "")  # as the API's serializer does
        return services.card_save(user=user, card=CardDetails(**details))

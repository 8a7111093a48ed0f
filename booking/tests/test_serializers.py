"""The fast renderers of a booking's parts agree with the serializers that document them."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from booking.api.serializers import (
    BookingSerializer,
    BookingShowtimeSerializer,
    BookingTicketSerializer,
    showtime_brief,
    ticket_representation,
)
from booking.selectors import booking_queryset

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_showtime_brief_and_ticket_representation_match_their_schema_serializers():
    booking = booking_queryset().get(pk=BookingFactory(confirmed=True).pk)
    ticket = booking.tickets.all()[0]
    ticket.checked_in_at = timezone.now()

    assert showtime_brief(booking.showtime) == BookingShowtimeSerializer(booking.showtime).data
    assert ticket_representation(ticket) == BookingTicketSerializer(ticket).data
    # What the declared fields would render, field by field, is what the function renders.
    documented = serializers.Serializer.to_representation(BookingSerializer(), booking)
    assert BookingSerializer(booking).data == documented

from django.db.models import QuerySet

from .models import Payment


def payments_visible_to(user) -> QuerySet[Payment]:
    """A customer's own payments; administrators see all. Anyone else's is simply not there (404)."""
    queryset = Payment.objects.select_related("booking").prefetch_related("refunds")
    return queryset if user.is_admin else queryset.filter(user=user)

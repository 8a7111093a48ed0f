from django.contrib import admin, messages

from core.admin import error_text
from core.exceptions import ApplicationError

from . import services
from .models import Payment, PaymentEvent, Refund, SavedCard, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records change only through the payment services."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    fields = ["amount", "status", "reason", "created_by", "created_at", "completed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PaymentEvent
    fields = ["created_at", "kind", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "booking",
        "user",
        "amount",
        "amount_refunded",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["status", "provider", "needs_reconciliation", "created_at"]
    search_fields = ["booking__reference", "user__email", "provider_reference"]
    list_select_related = ["booking", "user"]
    inlines = [RefundInline, EventInline]
    actions = ["refund"]

    @admin.action(description="Refund what is left of the selected payments")
    def refund(self, request, queryset):
        if not request.user.is_admin:
            self.message_user(request, "Only administrators can refund.", messages.ERROR)
            return
        for payment in queryset:
            try:
                services.payment_refund(
                    payment_id=payment.pk, by=request.user, reason="Refunded in the admin."
                )
            except ApplicationError as exc:
                self.message_user(
                    request, f"Payment {payment.pk}: {error_text(exc)}", messages.WARNING
                )
            except Exception as exc:  # a ValidationError: nothing left to refund
                self.message_user(
                    request, f"Payment {payment.pk}: {error_text(exc)}", messages.WARNING
                )


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    """The audit trail: append-only, so no change or delete here either."""

    list_display = ["created_at", "kind", "payment"]
    list_filter = ["kind"]
    search_fields = ["payment__booking__reference"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyAdmin):
    list_display = ["user", "brand", "last4", "exp_month", "exp_year"]
    search_fields = ["user__email"]
    exclude = ["token"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "type", "event_id", "payment", "outcome"]
    list_filter = ["provider", "type"]
    search_fields = ["event_id"]

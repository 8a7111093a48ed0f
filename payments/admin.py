from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin import error_text
from core.exceptions import ApplicationError

from . import services
from .models import (
    LIVE_CAPTURE,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    Refund,
    SavedCard,
    WebhookEvent,
)


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


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        help_text="Empty: everything that is left.",
    )
    reason = forms.CharField(max_length=200, required=False, widget=forms.TextInput({"size": 60}))


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "booking",
        "user",
        "method",
        "amount",
        "amount_refunded",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["status", "method", "provider", "needs_reconciliation", "created_at"]
    search_fields = ["booking__reference", "user__email", "provider_reference"]
    list_select_related = ["booking", "user"]
    inlines = [RefundInline, EventInline]
    actions = ["refund"]

    def has_refund_permission(self, request, obj=None) -> bool:
        """Refunds are the administrators' (the API's rule): staff never see the action."""
        return request.user.has_perm("payments.change_payment")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="payments_payment_refund",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_refund"] = (
            obj is not None
            and obj.status in LIVE_CAPTURE
            and self.has_refund_permission(request, obj)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _refund(self, request, payment, *, amount=None, reason="") -> bool:
        """One refund through the service, its outcome as a message."""
        try:
            refund = services.payment_refund(
                payment_id=payment.pk,
                amount=amount,
                by=request.user,
                reason=reason or "Refunded in the admin.",
            )
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, f"Payment {payment.pk}: {error_text(exc)}", messages.ERROR)
            return False
        payment.refresh_from_db()
        how = "in cash" if payment.method == PaymentMethod.CASH else "to the card"
        ended = (
            " The booking is cancelled: its seats are free."
            if payment.status == PaymentStatus.REFUNDED
            else ""
        )
        self.message_user(
            request,
            f"Payment {payment.pk}: refunded {refund.amount} {payment.currency} {how}.{ended}",
            messages.SUCCESS,
        )
        return True

    @admin.action(
        description="Refund what is left of the selected payments", permissions=["refund"]
    )
    def refund(self, request, queryset):
        """Asks first; the confirmation posts back here with `confirmed`."""
        payments = list(queryset.select_related("booking"))
        if "confirmed" in request.POST:
            for payment in payments:
                self._refund(request, payment)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Refund these payments?",
            "payments": payments,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/payments/payment/refund_selected.html", context)

    def refund_view(self, request, object_id):
        """Refund one payment, all that is left or an amount, after a confirmation."""
        payment = self.get_object(request, object_id)
        if payment is None:
            raise Http404
        if not self.has_refund_permission(request, payment):
            raise PermissionDenied
        back = reverse("admin:payments_payment_change", args=[payment.pk])
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._refund(
                request,
                payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": payment,
            "title": f"Refund payment {payment.pk}?",
            "payment": payment,
            "left": payment.amount - payment.amount_refunded,
            "form": form,
            "back": back,
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)


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

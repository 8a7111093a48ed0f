from django.contrib import admin, messages

from core.admin import error_text
from core.exceptions import ApplicationError

from . import services
from .models import Booking, SeatSurcharge, Ticket, TicketType


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "multiplier", "active"]
    list_editable = ["multiplier", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: sold tickets keep their type


@admin.register(SeatSurcharge)
class SeatSurchargeAdmin(admin.ModelAdmin):
    list_display = ["seat_type", "amount"]
    list_editable = ["amount"]

    def has_delete_permission(self, request, obj=None):
        return False


class TicketInline(admin.TabularInline):
    model = Ticket
    fields = ["seat", "ticket_type", "price", "code", "checked_in_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings are read-only here; the cancel action goes through the booking service."""

    list_display = ["reference", "user", "showtime", "status", "total", "currency", "created_at"]
    list_filter = ["status", "showtime__hall__cinema", "created_at"]
    search_fields = ["reference", "user__email"]
    list_select_related = ["user", "showtime__movie", "showtime__hall__cinema"]
    date_hierarchy = "created_at"
    inlines = [TicketInline]
    actions = ["cancel"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Booking._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Cancel selected bookings (seats released, payments refunded)",
        permissions=["change"],
    )
    def cancel(self, request, queryset):
        for booking in queryset:
            try:
                services.booking_cancel(booking_id=booking.pk, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{booking}: {error_text(exc)}", messages.WARNING)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["code", "booking", "seat", "ticket_type", "price", "checked_in_at"]
    list_filter = ["ticket_type", "showtime__hall__cinema"]
    search_fields = ["code", "booking__reference"]
    list_select_related = ["booking", "seat"]
    actions = ["check_in"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Ticket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Check in selected tickets", permissions=["change"])
    def check_in(self, request, queryset):
        for ticket in queryset.exclude(code=None):
            try:
                services.ticket_check_in(code=ticket.code, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{ticket.code}: {error_text(exc)}", messages.WARNING)

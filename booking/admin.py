from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe

from core.admin import error_text
from core.exceptions import ApplicationError
from screening.admin import LocalDayFilter
from screening.timezones import local_format

from . import services
from .exceptions import AlreadyCheckedIn
from .models import Booking, BookingStatus, SeatSurcharge, Ticket, TicketType
from .printing import ticket_qr_svg
from .selectors import booking_status_q


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


def _local(value, booking_or_ticket) -> str:
    """A moment of a booking's life on its cinema's clock."""
    return local_format(value, booking_or_ticket.showtime.hall.cinema.zone) or "-"


class TicketInline(admin.TabularInline):
    model = Ticket
    fields = ["seat", "ticket_type", "price", "code", "checked_in"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("seat", "showtime__hall__cinema")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Checked in")
    def checked_in(self, ticket):
        return _local(ticket.checked_in_at, ticket) if ticket.checked_in_at else "-"


class BookingStatusFilter(admin.SimpleListFilter):
    """The status a client sees: a hold whose time ran out is EXPIRED before any cron says so."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return BookingStatus.choices

    def queryset(self, request, queryset):
        if self.value() in BookingStatus.values:
            return queryset.filter(booking_status_q(self.value()))
        return queryset


class ShowtimeDayFilter(LocalDayFilter):
    title = "showtime day (the cinema's)"
    parameter_name = "showtime_day"
    prefix = "showtime__"


class UserFilter(admin.SimpleListFilter):
    """`?user=<id>`: one customer's bookings (the user page links here). No list of choices."""

    title = "customer"
    parameter_name = "user"

    def lookups(self, request, model_admin):
        return []

    def has_output(self):
        return False

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(user_id=int(value)) if value.isdigit() else queryset.none()


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Goes into the customer's e-mail. Empty: 'Cancelled by the cinema.'",
    )


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings are read-only here; cancelling goes through the booking service, after a
    confirmation page."""

    list_display = [
        "reference",
        "user",
        "showtime",
        "status_display",
        "total",
        "currency",
        "created_at",
    ]
    list_filter = [
        BookingStatusFilter,
        ShowtimeDayFilter,
        "showtime__hall__cinema",
        UserFilter,
        "created_at",
    ]
    search_fields = ["reference", "user__email", "customer_email"]
    list_select_related = ["user", "showtime__movie", "showtime__hall__cinema"]
    inlines = [TicketInline]
    actions = ["cancel"]
    fieldsets = [
        (None, {"fields": ["reference", "status_display", "user", "showtime"]}),
        ("Money", {"fields": ["subtotal", "discount", "fees", "tax", "total", "currency"]}),
        (
            "History",
            {
                "fields": [
                    "created",
                    "hold_until",
                    "confirmed",
                    "sold_at_counter",
                    "cancelled",
                    "cancellation_reason",
                ]
            },
        ),
    ]
    readonly_fields = [
        "reference",
        "status_display",
        "user",
        "showtime",
        "subtotal",
        "discount",
        "fees",
        "tax",
        "total",
        "currency",
        "created",
        "hold_until",
        "confirmed",
        "sold_at_counter",
        "cancelled",
        "cancellation_reason",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sold_by", "cancelled_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # What a booking shows

    @admin.display(description="Status", ordering="status")
    def status_display(self, booking):
        return (
            booking.get_status_display()
            if booking.status == booking.effective_status
            else (BookingStatus(booking.effective_status).label)
        )

    @admin.display(description="Made")
    def created(self, booking):
        return _local(booking.created_at, booking)

    @admin.display(description="Seats held until")
    def hold_until(self, booking):
        if booking.status != BookingStatus.PENDING:
            return "-"
        return _local(booking.expires_at, booking)

    @admin.display(description="Confirmed")
    def confirmed(self, booking):
        return _local(booking.confirmed_at, booking) if booking.confirmed_at else "-"

    @admin.display(description="Sold at the box office")
    def sold_at_counter(self, booking):
        if booking.sold_by_id is None:
            return "No (online)"
        sent = f", tickets e-mailed to {booking.customer_email}" if booking.customer_email else ""
        return f"By {booking.sold_by.get_full_name()}{sent}"

    @admin.display(description="Cancelled")
    def cancelled(self, booking):
        if booking.cancelled_at is None:
            return "-"
        by = f" by {booking.cancelled_by}" if booking.cancelled_by else ""
        return f"{_local(booking.cancelled_at, booking)}{by}"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["can_print"] = obj.status == BookingStatus.CONFIRMED
            context["can_cancel"] = obj.status in (
                BookingStatus.PENDING,
                BookingStatus.CONFIRMED,
            ) and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Pages of their own: cancel (with a confirmation), print the tickets

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
            path(
                "<path:object_id>/print/",
                self.admin_site.admin_view(self.print_view),
                name="{}_{}_print".format(*info),
            ),
            *super().get_urls(),
        ]

    def _cancel_confirmed(self, request, bookings, reason: str) -> None:
        """Cancel each through the service; one message for what went through, one per refusal."""
        done = []
        for booking in bookings:
            try:
                services.booking_cancel(booking_id=booking.pk, by=request.user, reason=reason)
            except ApplicationError as exc:
                self.message_user(request, f"{booking}: {error_text(exc)}", messages.ERROR)
            else:
                done.append(booking.reference)
        if done:
            self.message_user(
                request,
                f"Cancelled {', '.join(done)}: seats released, payments refunded.",
                messages.SUCCESS,
            )

    def _cancel_page(self, request, bookings, form, *, action: bool):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Cancel bookings?" if len(bookings) > 1 else "Cancel this booking?",
            "bookings": bookings,
            "form": form,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/booking/booking/cancel.html", context)

    @admin.action(
        description="Cancel selected bookings (seats released, payments refunded)",
        permissions=["change"],
    )
    def cancel(self, request, queryset):
        """Asks first; the confirmation posts back here with `confirmed`."""
        form = CancelForm(request.POST if "confirmed" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._cancel_confirmed(request, list(queryset), form.cleaned_data["reason"])
            return None
        return self._cancel_page(request, list(queryset), form, action=True)

    def cancel_view(self, request, object_id):
        booking = self.get_object(request, object_id)
        if booking is None:
            raise Http404
        if not self.has_change_permission(request, booking):
            raise PermissionDenied
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._cancel_confirmed(request, [booking], form.cleaned_data["reason"])
            return HttpResponseRedirect(reverse("admin:booking_booking_change", args=[booking.pk]))
        return self._cancel_page(request, [booking], form, action=False)

    def print_view(self, request, object_id):
        """The tickets, ready to print: one per page, each with its QR code."""
        booking = self.get_object(request, object_id)
        if booking is None or not self.has_view_permission(request, booking):
            raise Http404
        if booking.status != BookingStatus.CONFIRMED:
            self.message_user(request, "Only a confirmed booking has tickets.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:booking_booking_change", args=[booking.pk]))
        tickets = list(booking.tickets.select_related("seat").order_by("seat__y", "seat__x"))
        for ticket in tickets:
            ticket.qr_svg = mark_safe(ticket_qr_svg(ticket))  # noqa: S308 (segno's own SVG)
        showtime = booking.showtime
        context = {
            "booking": booking,
            "showtime": showtime,
            "cinema": showtime.hall.cinema,
            "starts": local_format(showtime.starts_at, showtime.hall.cinema.zone),
            "tickets": tickets,
            "back": reverse("admin:booking_booking_change", args=[booking.pk]),
        }
        return TemplateResponse(request, "booking/tickets_print.html", context)


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
        done = 0
        for ticket in queryset.exclude(code=None):
            try:
                services.ticket_check_in(code=ticket.code, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{ticket.code}: {error_text(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"Checked in {done} ticket(s).", messages.SUCCESS)

    def get_urls(self):
        return [
            path("door/", self.admin_site.admin_view(self.door_view), name="booking_ticket_door"),
            *super().get_urls(),
        ]

    def door_view(self, request):
        """The door: one field for a typed code or a scanner's input, a big green or red answer,
        and the field empty and focused again for the next ticket."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        result = None
        if request.method == "POST":
            result = _door_check(request.POST.get("code", ""), request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Door check-in",
            "result": result,
        }
        return TemplateResponse(request, "admin/booking/ticket/door.html", context)


def _door_check(raw: str, by) -> dict:
    """Check a ticket in; what the door's panel shows either way."""
    code = raw.strip()
    if not code:
        return {"ok": False, "verdict": "No code", "message": "Type or scan a ticket's code."}
    try:
        ticket = services.ticket_check_in(code=code[:255], by=by)
    except (ApplicationError, ValidationError) as exc:
        ticket, ok, refusal = None, False, exc
    else:
        ok, refusal = True, None
    found = (
        Ticket.objects.select_related(
            "seat", "booking", "showtime__movie", "showtime__hall__cinema"
        )
        .filter(Q(pk=ticket.pk) if ticket else Q(code=code[:255]))
        .first()
    )
    if found is None:
        return {"ok": False, "verdict": "Unknown ticket", "message": error_text(refusal)}
    if ok:
        verdict, message = "Valid - come in", ""
    elif isinstance(refusal, AlreadyCheckedIn):
        verdict, message = "Already checked in", error_text(refusal)
    else:
        verdict, message = "Refused", error_text(refusal)
    return {
        "ok": ok,
        "verdict": verdict,
        "message": message,
        "ticket": found,
        "starts": local_format(found.showtime.starts_at, found.showtime.hall.cinema.zone),
        "booking_url": reverse("admin:booking_booking_change", args=[found.booking_id]),
    }

"""The box office in the admin: what takes more than one app's records - a showtime's seat map,
sale and cancellation, a booking's payments and receipt, a customer's bookings. The admin pages
of the apps below are extended here (registered again as subclasses), never imported upwards."""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import UserAdmin
from accounts.models import User
from booking import services as booking_services
from booking.admin import BookingAdmin
from booking.models import Booking, BookingStatus, TicketTypeCode
from booking.selectors import seat_map_document
from core.admin import error_text
from core.exceptions import ApplicationError
from payments.models import LIVE_CAPTURE, PaymentEvent, PaymentMethod
from screening.admin import ShowtimeAdmin
from screening.models import Showtime, ShowtimeStatus
from screening.seat_maps import seat_map_html
from screening.timezones import local_format

from . import services
from .selectors import sale_quote

# Showtimes


class SeatIdsField(forms.Field):
    """The seats ticked on the seat map (checkboxes named `seats`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(pk) for pk in value or []})
        except (TypeError, ValueError) as exc:
            raise ValidationError("Pick seats on the map.") from exc

    def validate(self, value):
        if not value:
            raise ValidationError("Pick at least one seat on the map.")


class CounterSaleForm(forms.Form):
    """Seats from the map; how many of them are children, seniors, students (the rest adults);
    an optional e-mail; cash with the amount handed over, or a card on the terminal."""

    seats = SeatIdsField()
    child = forms.IntegerField(label="Children", min_value=0, max_value=99, initial=0)
    senior = forms.IntegerField(label="Seniors", min_value=0, max_value=99, initial=0)
    student = forms.IntegerField(label="Students", min_value=0, max_value=99, initial=0)
    customer_email = forms.EmailField(
        label="Customer's e-mail (optional)",
        required=False,
        help_text="The tickets are e-mailed there; a customer account with it gets the booking.",
    )
    method = forms.ChoiceField(
        label="Payment",
        choices=[(m.value, m.label) for m in services.COUNTER_METHODS],
        initial=PaymentMethod.CASH,
        widget=forms.RadioSelect,
    )
    tendered = forms.DecimalField(
        label="Cash handed over",
        required=False,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
    )

    TYPED = (
        ("child", TicketTypeCode.CHILD),
        ("senior", TicketTypeCode.SENIOR),
        ("student", TicketTypeCode.STUDENT),
    )

    def clean(self):
        cleaned = super().clean()
        seats = cleaned.get("seats") or []
        typed = sum(cleaned.get(field) or 0 for field, _ in self.TYPED)
        if seats and typed > len(seats):
            raise ValidationError(f"{typed} reduced tickets for {len(seats)} seat(s).")
        return cleaned

    def seat_requests(self) -> list[booking_services.SeatRequest]:
        """Reduced tickets on the first seats (by id, the order of the locks), adults after."""
        types = []
        for field, code in self.TYPED:
            types += [code] * (self.cleaned_data.get(field) or 0)
        seats = self.cleaned_data["seats"]
        types += [TicketTypeCode.ADULT] * (len(seats) - len(types))
        return [booking_services.SeatRequest(pk, t) for pk, t in zip(seats, types, strict=True)]


class ShowtimeCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="Goes into every customer's e-mail, e.g. 'The projector has failed.'",
    )


admin.site.unregister(Showtime)


@admin.register(Showtime)
class BoxOfficeShowtimeAdmin(ShowtimeAdmin):
    """A showtime's page draws its seats (the API's seat map); sell and cancel from there."""

    change_form_template = "boxoffice/showtime_change_form.html"

    class Media:
        css = {"all": ["screening/seat_map.css", "boxoffice/boxoffice.css"]}

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/sell/",
                self.admin_site.admin_view(self.sell_view),
                name="{}_{}_sell".format(*info),
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
            *super().get_urls(),
        ]

    def _can_sell(self, request, showtime) -> bool:
        return request.user.has_perm("booking.add_booking") and showtime.status == (
            ShowtimeStatus.SCHEDULED
        )

    def _can_cancel(self, request, showtime) -> bool:
        return (
            self.has_change_permission(request, showtime)
            and showtime.status == ShowtimeStatus.SCHEDULED
        )

    def _showtime(self, request, object_id) -> Showtime:
        showtime = self.get_object(request, object_id)
        if showtime is None:
            raise Http404
        return showtime

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            document = json.loads(seat_map_document(obj.pk))
            context.update(
                seat_map=seat_map_html(document["seats"], statuses=True),
                counts=document["counts"],
                can_sell=self._can_sell(request, obj),
                can_cancel=self._can_cancel(request, obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def sell_view(self, request, object_id):
        """Pick seats, say who they are for and take the money: one confirmed booking."""
        showtime = self._showtime(request, object_id)
        if not request.user.has_perm("booking.add_booking"):
            raise PermissionDenied
        form = CounterSaleForm(request.POST or None)
        quote = None
        if request.method == "POST" and form.is_valid():
            seats = form.seat_requests()
            if "_sell" in request.POST:
                try:
                    sale = services.counter_sale_create(
                        by=request.user,
                        showtime_id=showtime.pk,
                        seats=seats,
                        method=form.cleaned_data["method"],
                        tendered=form.cleaned_data["tendered"],
                        customer_email=form.cleaned_data["customer_email"],
                    )
                except (ApplicationError, ValidationError) as exc:
                    self.message_user(request, error_text(exc), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"Sold {len(seats)} ticket(s): booking {sale.booking.reference}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:booking_booking_receipt", args=[sale.booking.pk])
                    )
            try:
                quote = sale_quote(showtime, seats, form.cleaned_data["tendered"])
            except ValidationError as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
        document = json.loads(seat_map_document(showtime.pk))
        chosen = request.POST.getlist("seats") if request.method == "POST" else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": showtime,
            "title": f"Sell: {showtime.movie.title}",
            "starts": local_format(showtime.starts_at, showtime.hall.cinema.zone),
            "showtime": showtime,
            "seat_map": seat_map_html(
                document["seats"],
                statuses=True,
                selectable=showtime.status == ShowtimeStatus.SCHEDULED,
                chosen=[pk for pk in chosen if pk.isdigit()],
            ),
            "counts": document["counts"],
            "form": form,
            "quote": quote,
            "media": self.media,
        }
        return TemplateResponse(request, "boxoffice/sell.html", context)

    def cancel_view(self, request, object_id):
        """Cancel a showtime after saying what it does: every booking cancelled and refunded,
        each customer e-mailed with the reason given here."""
        showtime = self._showtime(request, object_id)
        if not self.has_change_permission(request, showtime):
            raise PermissionDenied
        back = reverse("admin:screening_showtime_change", args=[showtime.pk])
        if showtime.status != ShowtimeStatus.SCHEDULED:
            self.message_user(request, "This showtime is cancelled already.", messages.ERROR)
            return HttpResponseRedirect(back)
        affected = Booking.objects.filter(
            showtime=showtime, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]
        ).aggregate(
            bookings=Count("pk", distinct=True),
            sold=Count("pk", filter=Q(status=BookingStatus.CONFIRMED), distinct=True),
            tickets=Count("tickets", filter=Q(status=BookingStatus.CONFIRMED)),
        )
        form = ShowtimeCancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                booking_services.showtime_cancel(
                    showtime_id=showtime.pk, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Cancelled {showtime}: {affected['bookings']} booking(s) cancelled, "
                    f"{affected['tickets']} ticket(s) refunded, customers e-mailed.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": showtime,
            "title": "Cancel this showtime?",
            "starts": local_format(showtime.starts_at, showtime.hall.cinema.zone),
            "showtime": showtime,
            "affected": affected,
            "form": form,
            "back": back,
        }
        return TemplateResponse(request, "boxoffice/showtime_cancel.html", context)


# Bookings

admin.site.unregister(Booking)


@admin.register(Booking)
class BoxOfficeBookingAdmin(BookingAdmin):
    """A booking's page also shows its payments and refunds; "Add booking" sells at the counter
    (from the board's showtimes); after a sale, a receipt with the change."""

    change_form_template = "boxoffice/booking_change_form.html"

    class Media:
        css = {"all": ["boxoffice/boxoffice.css"]}

    def has_add_permission(self, request):
        return request.user.has_perm("booking.add_booking")

    def add_view(self, request, form_url="", extra_context=None):
        self.message_user(request, "Pick the showtime to sell on the board.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:index"))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["payments"] = _payments_of(
                obj, can_refund=request.user.has_perm("payments.change_payment")
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/receipt/",
                self.admin_site.admin_view(self.receipt_view),
                name="booking_booking_receipt",
            ),
            *super().get_urls(),
        ]

    def receipt_view(self, request, object_id):
        """After a sale: what to hand back, and the tickets to print."""
        booking = self.get_object(request, object_id)
        if booking is None or not self.has_view_permission(request, booking):
            raise Http404
        payment = booking.payments.order_by("-created_at", "-pk").first()
        created = (
            PaymentEvent.objects.filter(payment=payment, kind=PaymentEvent.Kind.CREATED).first()
            if payment is not None
            else None
        )
        tendered = (created.data or {}).get("tendered") if created else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": booking,
            "title": f"Sold: booking {booking.reference}",
            "booking": booking,
            "payment": payment,
            "tendered": tendered,
            "change": Decimal(tendered) - booking.total if tendered is not None else None,
            "starts": local_format(booking.showtime.starts_at, booking.showtime.hall.cinema.zone),
            "tickets": booking.tickets.select_related("seat").order_by("seat__y", "seat__x"),
            "confirmed": booking.status == BookingStatus.CONFIRMED,
        }
        return TemplateResponse(request, "boxoffice/receipt.html", context)


def _payments_of(booking: Booking, *, can_refund: bool) -> list[dict]:
    """A booking's payments with their refunds, on its cinema's clock; a refund link for those
    who may refund."""
    zone = booking.showtime.hall.cinema.zone
    rows = []
    for payment in booking.payments.prefetch_related("refunds").order_by("created_at", "pk"):
        rows.append(
            {
                "payment": payment,
                "taken": local_format(payment.created_at, zone),
                "refunds": [
                    {"refund": refund, "made": local_format(refund.created_at, zone)}
                    for refund in payment.refunds.all()
                ],
                "refund_url": (
                    reverse("admin:payments_payment_refund", args=[payment.pk])
                    if can_refund and payment.status in LIVE_CAPTURE
                    else None
                ),
            }
        )
    return rows


# Customers

admin.site.unregister(User)


@admin.register(User)
class BoxOfficeUserAdmin(UserAdmin):
    """A user's page links to their bookings."""

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is None else [*fields, "bookings"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else [*fields, "bookings"]

    @admin.display(description="Bookings")
    def bookings(self, user):
        count = Booking.objects.filter(user=user).count()
        url = reverse("admin:booking_booking_changelist") + f"?user={user.pk}"
        return format_html('<a href="{}">{} booking(s)</a>', url, count)

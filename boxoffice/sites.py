"""The Django admin as a box office runs it: it opens on the board of a cinema's day, and shows
times on that cinema's clock (`cinema_project/apps.py` makes this the default admin site)."""

from datetime import date, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.db.models import DateTimeField
from django.db.models.base import ModelBase
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils import timezone

from booking.selectors import showtimes_of_the_day
from screening.models import Cinema

SESSION_CINEMA = "box_office_cinema"
SESSION_ZONE = "box_office_timezone"
# The board pages through days within this reach of today (a date is from the URL).
BOARD_REACH_DAYS = 5 * 366


def cinema_choose(request, cinemas: list[Cinema]) -> Cinema | None:
    """The cinema this admin session works for: `?cinema=`, else the one chosen before, else the
    first. Remembered, with its zone, for the pages that follow."""
    by_id = {str(cinema.pk): cinema for cinema in cinemas}
    chosen = by_id.get(request.GET.get("cinema", "")) or by_id.get(
        str(request.session.get(SESSION_CINEMA, ""))
    )
    chosen = chosen or (cinemas[0] if cinemas else None)
    if chosen is not None:
        request.session[SESSION_CINEMA] = chosen.pk
        request.session[SESSION_ZONE] = chosen.timezone
    return chosen


def session_zone(request) -> ZoneInfo | None:
    name = request.session.get(SESSION_ZONE) if hasattr(request, "session") else None
    return ZoneInfo(name) if name else None


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "0"


class BoxOfficeAdminSite(admin.AdminSite):
    site_header = "Cinema box office"
    site_title = "Box office"
    index_title = "Today"
    index_template = "boxoffice/index.html"

    def admin_view(self, view, cacheable=False):
        """Every admin page shows times on the clock of the cinema chosen on the board (Django's
        dates, "Today" filters, timestamps); showtimes always name their own cinema's zone.

        So no `date_hierarchy` over a DateTimeField (`register` drops it): under a zone other
        than UTC it converts in SQL, which MySQL cannot without its time zone tables. List
        filters compute their bounds in Python."""
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def in_local_time(request, *args, **kwargs):
            zone = session_zone(request)
            if zone is None:
                return inner(request, *args, **kwargs)
            with timezone.override(zone):
                response = inner(request, *args, **kwargs)
                if isinstance(response, SimpleTemplateResponse):
                    response.render()  # now, in the zone: rendering is otherwise deferred
            return response

        return in_local_time

    def register(self, model_or_iterable, admin_class=None, **options):
        """Any app's admin, ours or a library's (django-axes' access attempts): a date hierarchy
        over a DateTimeField is dropped - under a cinema's zone Django would convert in SQL,
        which MySQL cannot without its time zone tables. The list filters stay."""
        super().register(model_or_iterable, admin_class, **options)
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            model_admin = self._registry.get(model)  # a swapped model is not registered
            field = model_admin.date_hierarchy if model_admin else None
            if field and isinstance(model._meta.get_field(field.split("__")[0]), DateTimeField):
                model_admin.date_hierarchy = None

    def each_context(self, request):
        context = super().each_context(request)
        zone = session_zone(request)
        if zone is not None:
            context["site_header"] = f"{self.site_header} · times in {zone.key}"
        return context

    def index(self, request, extra_context=None):
        """The board of the day for staff: each showtime with its seats sold, held and free."""
        extra_context = dict(extra_context or {})
        board = self._board(request) if request.user.has_perm("screening.view_showtime") else None
        extra_context["board"] = board
        response = super().index(request, extra_context)
        if board is not None:
            with timezone.override(board["zone"]):  # the cinema chosen just now
                response.render()
        return response

    def _board(self, request) -> dict | None:
        cinemas = list(Cinema.objects.order_by("name"))
        cinema = cinema_choose(request, cinemas)
        if cinema is None:
            return None
        now = timezone.now().astimezone(cinema.zone)
        try:
            day = date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            day = now.date()
        if abs((day - now.date()).days) > BOARD_REACH_DAYS:
            day = now.date()
        showtimes = showtimes_of_the_day(cinema=cinema, day=day)
        for showtime in showtimes:
            capacity = showtime.hall.capacity
            showtime.sold_percent = _percent(showtime.sold, capacity)
            showtime.held_percent = _percent(showtime.held, capacity)
            showtime.occupancy = round(100 * showtime.sold / capacity) if capacity else 0
        index = reverse("admin:index", current_app=self.name)
        return {
            "cinemas": cinemas,
            "cinema": cinema,
            "day": day,
            "is_today": day == now.date(),
            "now": now,
            "zone": cinema.zone,
            "showtimes": showtimes,
            "previous": f"{index}?cinema={cinema.pk}&day={day - timedelta(days=1)}",
            "next": f"{index}?cinema={cinema.pk}&day={day + timedelta(days=1)}",
            "today": f"{index}?cinema={cinema.pk}",
            "can_sell": request.user.has_perm("booking.add_booking"),
            "can_check_in": request.user.has_perm("booking.change_ticket"),
        }

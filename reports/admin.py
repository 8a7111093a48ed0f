"""The Reports page of the Django admin, for administrators: the period and cinema as filters,
the totals, charts (revenue per day, occupancy per showtime, top movies) drawn as SVG on the
server, and the CSV. The project's admin site (cinema_project/admin.py) adds these URLs and the
index entry; there are no models here to register."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from screening.models import Cinema, ShowtimeStatus

from . import charts
from .exports import filename, report_csv
from .periods import Period, PeriodInvalid
from .selectors import BREAKDOWNS, Report, stats_for_period

TOP_MOVIES = 10


class ReportFilterForm(forms.Form):
    """The filters, named as the API's query (`from`, `to`, `cinema`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        date = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = forms.DateField(required=False, label="From", widget=date)
        self.fields["to"] = forms.DateField(required=False, label="To", widget=date)
        self.fields["cinema"] = forms.ModelChoiceField(
            Cinema.objects.order_by("name"), required=False, empty_label="All cinemas"
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["period"] = Period.of(data.get("from"), data.get("to"), timezone.localdate())
        except PeriodInvalid as exc:
            self.add_error(exc.field, exc.message)
        return data


def _admin_only(request: HttpRequest) -> None:
    """Staff can use the admin for the schedule; revenue is for administrators only."""
    if not getattr(request.user, "is_admin", False):
        raise PermissionDenied


def _filters(request: HttpRequest) -> tuple[ReportFilterForm, Period | None, int | None]:
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return form, None, None
    cinema = form.cleaned_data.get("cinema")
    return form, form.cleaned_data["period"], cinema.pk if cinema else None


def report_view(request: HttpRequest, site) -> HttpResponse:
    _admin_only(request)
    form, period, cinema_id = _filters(request)
    context = {**site.each_context(request), "title": "Sales report", "form": form}
    if period is not None:
        report = stats_for_period(period=period, cinema_id=cinema_id)
        query = {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            **({"cinema": cinema_id} if cinema_id else {}),
        }
        csv_url = reverse("admin:reports-csv")
        context |= {
            "report": report,
            "total": report.total,
            "charts": _charts(report),
            "top_movies": report.by_movie[:TOP_MOVIES],
            "tables": [
                ("Cinemas", "name", report.by_cinema),
                ("Ticket types", "label", report.by_ticket_type),
                ("Payment methods", "label", report.by_payment_method),
            ],
            "csv_url": f"{csv_url}?{urlencode(query)}",
            "csv_breakdowns": [
                (
                    name.removeprefix("by_").replace("_", " "),
                    f"{csv_url}?{urlencode(query | {'breakdown': name})}",
                )
                for name in BREAKDOWNS
            ],
        }
    status = 200 if period is not None else 400
    return TemplateResponse(request, "admin/reports/report.html", context, status=status)


def report_csv_view(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    _, period, cinema_id = _filters(request)
    breakdown = request.GET.get("breakdown") or None
    if period is None or breakdown not in (None, *BREAKDOWNS):
        return HttpResponse("Invalid filters.", status=400, content_type="text/plain")
    report = stats_for_period(period=period, cinema_id=cinema_id)
    response = HttpResponse(report_csv(report, breakdown), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(report, breakdown)}"'
    return response


def _charts(report: Report) -> dict:
    currency = report.currency
    revenue = charts.columns(
        [
            charts.Bar(
                label=row.key["date"].strftime("%d %b"),
                value=row.figures.net,
                title=(
                    f"{row.key['date']:%a %d %b %Y}: net {row.figures.net:,.2f} {currency} "
                    f"(gross {row.figures.gross:,.2f}, discounts {row.figures.discounts:,.2f}, "
                    f"refunds {row.figures.refunds:,.2f})"
                ),
            )
            for row in report.by_day
        ],
        label="Net revenue per day",
    )
    shown = [
        row
        for row in report.by_showtime
        if row.figures.seats and row.key["status"] == ShowtimeStatus.SCHEDULED
    ]
    if len(shown) <= charts.MAX_DOTS:
        occupancy = charts.dots(
            [
                charts.Dot(
                    at=row.key["starts_at"],
                    percent=row.figures.occupancy.percent,
                    title=(
                        f"{row.key['title']}, {timezone.localtime(row.key['starts_at']):%d %b %H:%M}"
                        f" ({row.key['hall']}): {row.figures.tickets_sold} of "
                        f"{row.figures.seats} seats, {row.figures.occupancy.percent} %"
                    ),
                )
                for row in shown
            ],
            report.period.first,
            report.period.last,
            label="Occupancy per showtime",
        )
        occupancy_title = "Occupancy per showtime"
    else:
        occupancy = charts.columns(
            [
                charts.Bar(
                    label=row.key["date"].strftime("%d %b"),
                    value=row.figures.occupancy.percent or 0,
                    title=(
                        f"{row.key['date']:%a %d %b %Y}: {row.figures.tickets_sold} of "
                        f"{row.figures.seats} seats, {row.figures.occupancy.percent or 0} %"
                    ),
                )
                for row in report.by_day
            ],
            label="Occupancy per day",
            money=False,
        )
        occupancy_title = f"Occupancy per day ({len(shown)} showtimes: too many to show each)"
    movies = charts.rows(
        [
            charts.Bar(
                label=row.key["title"],
                value=row.figures.net,
                title=(
                    f"{row.key['title']}: net {row.figures.net:,.2f} {currency}, "
                    f"{row.figures.tickets_sold} tickets"
                ),
            )
            for row in report.by_movie[:TOP_MOVIES]
        ],
        label="Top movies by net revenue",
    )
    return {
        "revenue": revenue,
        "occupancy": occupancy,
        "occupancy_title": occupancy_title,
        "movies": movies,
    }


def urls(site) -> list:
    """For the admin site's `get_urls`."""
    return [
        path(
            "reports/",
            site.admin_view(lambda request: report_view(request, site)),
            name="reports",
        ),
        path("reports/csv/", site.admin_view(report_csv_view), name="reports-csv"),
    ]


def app_list_entry(request: HttpRequest) -> dict | None:
    """The index's "Reports" section, for administrators only."""
    if not getattr(request.user, "is_admin", False):
        return None
    url = reverse("admin:reports")
    return {
        "name": "Reports",
        "app_label": "reports",
        "app_url": url,
        "has_module_perms": True,
        "models": [
            {
                "name": "Sales report",
                "object_name": "SalesReport",
                "perms": {"add": False, "change": False, "delete": False, "view": True},
                "admin_url": url,
                "add_url": None,
                "view_only": True,
            }
        ],
    }

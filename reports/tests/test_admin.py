"""The Reports page of the Django admin."""

import pytest
from django.contrib import admin as django_admin

from cinema_project.admin import CinemaAdminSite

from .month import known_month

pytestmark = pytest.mark.django_db

PAGE = "/admin/reports/"
CSV = "/admin/reports/csv/"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def month():
    return known_month()


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def test_the_default_site_is_ours_and_keeps_every_app_registered():
    assert isinstance(django_admin.site._wrapped, CinemaAdminSite)
    labels = {model._meta.app_label for model in django_admin.site._registry}
    assert {"accounts", "catalog", "screening", "booking", "payments"} <= labels


def test_the_page_shows_totals_charts_and_the_csv_link(as_admin, month):
    page = as_admin.get(PAGE, MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["total"].net == page.context["report"].total.net
    assert "101.00 USD" in html
    assert "75.00 %" in html
    assert html.count('role="img"') == 3  # the three charts
    assert "Movie Two" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN
    assert 'href="/admin/reports/csv/?from=2026-03-01&amp;to=2026-03-31"' in html


def test_filtering_by_cinema(as_admin, month):
    page = as_admin.get(PAGE, {**MARCH, "cinema": month.south.pk})
    assert page.context["report"].total.net == page.context["report"].by_cinema[0].figures.net
    assert [row.key["name"] for row in page.context["report"].by_cinema] == ["South"]
    assert f"cinema={month.south.pk}" in page.context["csv_url"]


def test_the_first_visit_shows_the_last_30_days(as_admin):
    page = as_admin.get(PAGE)
    assert page.status_code == 200
    assert len(page.context["report"].by_day) == 30
    assert "Nothing in this period." in page.content.decode()


def test_bad_filters_are_shown_on_the_form(as_admin):
    page = as_admin.get(PAGE, {"from": "2026-03-10", "to": "2026-03-01"})
    assert page.status_code == 400
    assert page.context["form"].errors == {"from": ["Must not be after `to`."]}
    assert "report" not in page.context


def test_the_csv_download(as_admin, month):
    response = as_admin.get(CSV, MARCH)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "101.00" in response.content.decode()
    one = as_admin.get(CSV, {**MARCH, "breakdown": "by_day"})
    assert one.content.decode().splitlines()[0].lstrip("\ufeff").startswith("date,gross")
    assert as_admin.get(CSV, {**MARCH, "breakdown": "nope"}).status_code == 400


def test_a_long_period_charts_occupancy_per_day(as_admin, month, monkeypatch):
    monkeypatch.setattr("reports.charts.MAX_DOTS", 1)
    page = as_admin.get(PAGE, MARCH)
    assert page.context["charts"]["occupancy_title"].startswith("Occupancy per day")


def test_the_index_lists_the_reports_for_administrators(as_admin):
    html = as_admin.get("/admin/").content.decode()
    assert 'href="/admin/reports/"' in html


def test_staff_use_the_admin_but_not_the_reports(as_staff):
    assert as_staff.get("/admin/").status_code == 200
    assert 'href="/admin/reports/"' not in as_staff.get("/admin/").content.decode()
    assert as_staff.get(PAGE).status_code == 403
    assert as_staff.get(CSV).status_code == 403


def test_anyone_else_is_sent_to_the_login(client, customer):
    assert client.get(PAGE).status_code == 302
    client.force_login(customer)
    assert client.get(PAGE).status_code == 302

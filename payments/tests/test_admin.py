import pytest

from payments.models import Payment, PaymentStatus

from .helpers import held_booking, pay

pytestmark = pytest.mark.django_db


def test_payments_are_read_only_in_the_admin_but_for_the_refund_action(
    client, admin, customer, customer_api
):
    pay(customer_api, held_booking(customer))
    payment = Payment.objects.get()
    client.force_login(admin)
    assert client.get("/admin/payments/payment/").status_code == 200
    page = client.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert page.status_code == 200
    assert b'name="amount"' not in page.content
    assert client.get("/admin/payments/payment/add/").status_code == 403

    selected = {"action": "refund", "_selected_action": [payment.pk]}
    confirmation = client.post("/admin/payments/payment/", selected)
    assert b"Refund these payments?" in confirmation.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED  # nothing until confirmed
    client.post("/admin/payments/payment/", {**selected, "confirmed": "yes"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_staff_see_payments_but_cannot_refund(client, staff, customer, customer_api):
    pay(customer_api, held_booking(customer))
    payment = Payment.objects.get()
    client.force_login(staff)
    assert client.get("/admin/payments/payment/").status_code == 200
    client.post("/admin/payments/payment/", {"action": "refund", "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED

import logging

import pytest
from django.apps import apps
from django.db import connection

from payments.models import PaymentEvent

from .helpers import DECLINED, PROVIDER_ERROR, card, held_booking, pay

pytestmark = pytest.mark.django_db


def test_the_audit_trail_is_append_only(customer, customer_api, client, admin):
    pay(customer_api, held_booking(customer))
    event = PaymentEvent.objects.first()
    event.kind = "tampered"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        PaymentEvent.objects.update(kind="tampered")
    with pytest.raises(TypeError):
        PaymentEvent.objects.all().delete()
    assert set(PaymentEvent.objects.values_list("kind", flat=True)) == {"created", "succeeded"}

    client.force_login(admin)
    page = client.get(f"/admin/payments/paymentevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="kind"' not in page.content  # shown, not editable
    assert client.post(f"/admin/payments/paymentevent/{event.pk}/delete/").status_code == 403


def every_text_in_the_database() -> str:
    """Every value of every row of every table of the project's apps, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_card_numbers_and_cvcs_never_reach_the_database_or_the_logs(customer, customer_api, caplog):
    caplog.set_level(logging.DEBUG)
    number, cvc = "4242424242424242", "9731"
    amex, amex_cvc = "378282246310005", "8642"
    assert (
        pay(customer_api, held_booking(customer), card=card(number, cvc=cvc[:3])).status_code == 200
    )
    saved = customer_api.post("/api/v1/users/me/cards/", card(amex, cvc=amex_cvc)).json()
    assert (
        pay(customer_api, held_booking(customer), key="k2", card_id=saved["id"]).status_code == 200
    )
    assert (
        pay(
            customer_api, held_booking(customer), key="k3", card=card(DECLINED, cvc="753")
        ).status_code
        == 402
    )
    assert (
        pay(
            customer_api, held_booking(customer), key="k4", card=card(PROVIDER_ERROR, cvc="159")
        ).status_code
        == 503
    )

    stored = every_text_in_the_database()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in [number, amex, DECLINED, PROVIDER_ERROR, "4242 4242 4242 4242"]:
        assert secret not in stored
        assert secret not in logged
    # A CVC as a stored or logged value would be quoted ("8642" in JSON, '8642' in a repr); four
    # bare digits can also turn up inside any token or timestamp by chance.
    quoted = [f"{q}{code}{q}" for code in (amex_cvc, "9731", "753", "159") for q in "'\""]
    for secret in ['"cvc"', "cvc=", *quoted]:
        assert secret not in stored
        assert secret not in logged
    # What is kept to recognise a card: brand and last four digits.
    assert "4242" in stored
    assert "0005" in stored

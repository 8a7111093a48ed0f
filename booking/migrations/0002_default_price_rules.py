from decimal import Decimal

from django.db import migrations

TICKET_TYPES = [
    ("ADULT", "Adult", Decimal("1.000")),
    ("CHILD", "Child", Decimal("0.700")),
    ("SENIOR", "Senior", Decimal("0.800")),
    ("STUDENT", "Student", Decimal("0.850")),
]
SURCHARGES = [
    ("STANDARD", Decimal("0.00")),
    ("VIP", Decimal("3.00")),
    ("ACCESSIBLE", Decimal("0.00")),
]


def create(apps, schema_editor):
    TicketType = apps.get_model("booking", "TicketType")
    SeatSurcharge = apps.get_model("booking", "SeatSurcharge")
    for code, name, multiplier in TICKET_TYPES:
        TicketType.objects.get_or_create(
            code=code, defaults={"name": name, "multiplier": multiplier}
        )
    for seat_type, amount in SURCHARGES:
        SeatSurcharge.objects.get_or_create(seat_type=seat_type, defaults={"amount": amount})


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

from django.db import migrations, models
from django.db.models import F


def rendered_when_written(apps, schema_editor):
    """Every mail written so far was rendered when it was written."""
    OutboundEmail = apps.get_model("core", "OutboundEmail")
    OutboundEmail.objects.filter(rendered_at=None).update(rendered_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_outbound_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="renderer",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="render_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="rendered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(rendered_when_written, migrations.RunPython.noop, elidable=True),
    ]

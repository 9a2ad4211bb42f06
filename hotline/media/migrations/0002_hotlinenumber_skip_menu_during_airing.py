import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0002_seats_queues_routes"),
        ("media", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="hotlinenumber",
            name="skip_menu_during_airing",
            field=models.BooleanField(
                default=False,
                help_text="While an airing of this number is on, and during its attribution window after it, "
                          "callers hear a short welcome and wait in the queue below without the IVR menu.",
                verbose_name="straight to the queue during an airing"),
        ),
        migrations.AddField(
            model_name="hotlinenumber",
            name="airing_queue",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="calls.queue", verbose_name="queue during an airing",
                help_text="Where callers go straight to while an airing is on (usually the order queue)."),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0007_seat_usual_agent"),
    ]

    operations = [
        migrations.AddField(
            model_name="queue",
            name="label",
            field=models.CharField(blank=True, help_text="What agents and supervisors read, e.g. 订购; the name when empty.", max_length=64, verbose_name="label"),
        ),
        migrations.AddField(
            model_name="agentstateevent",
            name="phone_online",
            field=models.BooleanField(default=True, help_text="Whether the seat's phone could be rung (registered or fixed).", verbose_name="phone online"),
        ),
        migrations.AddField(
            model_name="agentstateevent",
            name="wrapup_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="wrap-up until"),
        ),
    ]

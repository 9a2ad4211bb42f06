"""Opening balances of the stock ledger for products that were stocked before it existed: on hand is what the
desk may still sell plus what unshipped orders hold, so that the ledger's sum matches the shelf from day one."""

from django.db import migrations
from django.db.models import Sum

HELD = ("ordered", "reviewed")


def open_balances(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    OrderLine = apps.get_model("orders", "OrderLine")
    StockMovement = apps.get_model("logistics", "StockMovement")
    stocked = Product.objects.filter(track_stock=True).exclude(movements__isnull=False)
    held = dict(OrderLine.objects.filter(order__status__in=HELD, product__in=stocked).values("product_id")
                .annotate(units=Sum("quantity")).values_list("product_id", "units"))
    StockMovement.objects.bulk_create([
        StockMovement(product_id=pk, kind="received", quantity=(stock or 0) + held.get(pk, 0),
                      note="opening balance")
        for pk, stock in stocked.values_list("pk", "stock") if (stock or 0) + held.get(pk, 0) > 0
    ])


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_initial"),
        ("orders", "0002_order_idempotency_fingerprint"),
    ]

    operations = [migrations.RunPython(open_balances, migrations.RunPython.noop)]

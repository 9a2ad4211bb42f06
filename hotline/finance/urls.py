"""The finance workbench's URLs under /finance/: each tab's module lists its own."""

from django.urls import path

from hotline.finance.views import close, freight, open_items, payments, receivables, remittances
from hotline.finance.views.home import index

app_name = "finance"

urlpatterns = [
    path("", index, name="index"),
    *receivables.urls,
    *remittances.urls,
    *open_items.urls,
    *payments.urls,
    *close.urls,
    *freight.urls,
]

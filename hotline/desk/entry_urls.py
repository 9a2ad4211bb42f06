"""Order-entry endpoints of the agent desk, included under /desk/ (see `hotline.desk.entry`)."""

from django.urls import path

from hotline.desk import entry

urlpatterns = [
    path("products", entry.products, name="desk-products"),
    path("customers", entry.customers, name="desk-customers"),
    path("quote", entry.quote, name="desk-quote"),
    path("orders", entry.create_order, name="desk-order"),
    path("address/parse", entry.parse_address_view, name="desk-parse-address"),
]

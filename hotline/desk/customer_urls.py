"""The desk's customer tools under /desk/customer/: report a number, member PIN, edit the caller, find orders."""

from django.urls import URLPattern, URLResolver, path

from hotline.desk import customer_orders, customer_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("report", customer_views.report_number, name="desk-customer-report"),
    path("pin", customer_views.set_pin, name="desk-customer-pin"),
    path("edit", customer_views.edit_customer, name="desk-customer-edit"),
    path("orders", customer_orders.order_lookup, name="desk-order-lookup"),
    path("orders/<int:pk>/send-status", customer_orders.send_order_status, name="desk-order-send-status"),
]

"""The logistics workbench's URLs under /logistics/."""

from django.urls import path

from hotline.logistics import views
from hotline.logistics.views import batches, returns, review, scan, stock, tracking

app_name = "logistics"

urlpatterns = [
    path("", views.index, name="review"),
    path("review/approve", review.approve, name="approve"),
    path("review/send-back", review.send_back, name="send-back"),
    path("batches/", batches.batches, name="batches"),
    path("batches/create", batches.create_batches, name="create-batches"),
    path("batches/<int:pk>/print/<str:kind>", batches.print_batch, name="print"),
    path("prints/<int:pk>/", batches.print_job, name="print-job"),
    path("prints/<int:pk>/pdf", batches.print_job_pdf, name="print-job-pdf"),
    path("scan/", scan.scan, name="scan"),
    path("scan/ship", scan.ship, name="ship"),
    path("scan/bulk", scan.ship_bulk, name="ship-bulk"),
    path("tracking/", tracking.tracking, name="tracking"),
    path("orders/", tracking.find_order, name="find-order"),
    path("orders/<str:number>/", tracking.order_page, name="order"),
    path("orders/<str:number>/events", tracking.record_event, name="record-event"),
    path("orders/<str:number>/courier", tracking.change_courier, name="change-courier"),
    path("returns/", returns.returns, name="returns"),
    path("returns/<str:number>/receive", returns.receive, name="receive-return"),
    path("stock/", stock.stock, name="stock"),
    path("stock/receive", stock.receive_stock, name="receive-stock"),
    path("stock/count", stock.count_stock, name="count-stock"),
]

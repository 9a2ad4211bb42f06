"""The desk's URLs under /desk/ (order entry's JSON endpoints come from entry_urls)."""

from django.urls import include, path

from hotline.desk import tasks, views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("callbacks", views.callbacks, name="desk-callbacks"),
    path("tasks", tasks.order_tasks, name="desk-tasks"),
    path("tasks/<int:pk>/done", tasks.complete_order_task, name="desk-task-done"),
    path("messages", views.messages, name="desk-messages"),
    path("messages/send", views.send_message, name="desk-send-message"),
    path("notes", views.save_note, name="desk-note"),
    path("", include("hotline.desk.entry_urls")),
    path("kb/", include("hotline.kb.desk_urls")),
    path("service/", include("hotline.service.desk_urls")),
    path("customer/", include("hotline.desk.customer_urls")),
    path("campaigns/", include("hotline.campaigns.desk_urls")),
]

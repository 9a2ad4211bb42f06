"""/notify/: the outbox screen, SMS opt-outs, and the SMS provider's uplink push."""

from django.urls import URLPattern, URLResolver, path

from hotline.notify import views

app_name = "notify"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("opt-outs/", views.opt_outs, name="opt-outs"),
    path("opt-outs/add/", views.add_opt_out, name="add-opt-out"),
    path("opt-outs/<int:pk>/lift/", views.lift_opt_out, name="lift-opt-out"),
    path("sms/uplink/<str:token>/", views.sms_uplink, name="sms-uplink"),
]

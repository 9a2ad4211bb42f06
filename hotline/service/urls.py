"""The customer-service back office under /service/: complaints and the bulletin board."""

from django.urls import URLPattern, URLResolver, path

from hotline.service import views

app_name = "service"

urlpatterns: list[URLPattern | URLResolver] = [
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/new", views.complaint_new, name="complaint-new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/<slug:step>", views.complaint_step, name="complaint-step"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/withdraw", views.withdraw_notice, name="withdraw-notice"),
]

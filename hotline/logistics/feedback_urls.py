"""Feedback files in the logistics workbench; included under /logistics/feedback/ (namespace "feedback")."""

from django.urls import path

from hotline.logistics import feedback_views as views

app_name = "feedback"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.report, name="report"),
    path("<int:pk>/apply/", views.apply, name="apply"),
]

"""The campaigns back office under /campaigns/."""

from django.urls import URLPattern, URLResolver, path

from hotline.campaigns import views

app_name = "campaigns"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/load/", views.load, name="load"),
    path("<int:pk>/status/", views.set_status, name="status"),
]

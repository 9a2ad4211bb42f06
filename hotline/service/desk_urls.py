"""The desk's customer-service fragments under /desk/service/: the complaint form (F4) and the bulletin board."""

from django.urls import URLPattern, URLResolver, path

from hotline.service import desk_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("complaints/form", desk_views.complaint_form, name="desk-complaint-form"),
    path("complaints", desk_views.open_complaint, name="desk-open-complaint"),
    path("notices", desk_views.notices, name="desk-notices"),
]

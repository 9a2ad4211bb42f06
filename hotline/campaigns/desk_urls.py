"""The desk's campaign panel under /desk/campaigns/."""

from django.urls import URLPattern, URLResolver, path

from hotline.campaigns import desk_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("panel/", desk_views.panel, name="desk-campaigns-panel"),
    path("next/", desk_views.take_next, name="desk-campaigns-next"),
    path("dialled/", desk_views.dialled, name="desk-campaigns-dialled"),
    path("dispose/", desk_views.dispose, name="desk-campaigns-dispose"),
    path("survey/", desk_views.survey, name="desk-campaigns-survey"),
]

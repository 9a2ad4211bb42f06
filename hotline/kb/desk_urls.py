"""The desk's knowledge base panel, under /desk/kb/."""

from django.urls import path

from hotline.kb import desk_views

urlpatterns = [
    path("search", desk_views.kb_search, name="desk-kb-search"),
    path("suggest", desk_views.kb_suggest, name="desk-kb-suggest"),
    path("<int:pk>", desk_views.kb_article, name="desk-kb-article"),
    path("<int:pk>/answered", desk_views.kb_answered, name="desk-kb-answered"),
]

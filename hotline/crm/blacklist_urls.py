"""The blacklist screen under /blacklist/ (hotline/crm/blacklist_views.py)."""

from django.urls import URLPattern, URLResolver, path

from hotline.crm import blacklist_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", blacklist_views.blacklist, name="blacklist"),
    path("add", blacklist_views.add_entry, name="blacklist-add"),
    path("<int:pk>/lift", blacklist_views.lift_entry, name="blacklist-lift"),
]

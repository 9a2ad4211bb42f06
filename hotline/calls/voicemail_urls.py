"""The voicemail worklist under /voicemail/ (hotline/calls/voicemail_views.py)."""

from django.urls import URLPattern, URLResolver, path

from hotline.calls import voicemail_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", voicemail_views.voicemail_list, name="voicemail"),
    path("<int:pk>/called-back", voicemail_views.called_back, name="voicemail-called-back"),
    path("<int:pk>/done", voicemail_views.done, name="voicemail-done"),
    path("<int:pk>/download", voicemail_views.download, name="voicemail-download"),
]

"""Audio of calls for the browser's players (hotline/calls/views.py)."""

from django.urls import path

from hotline.calls import views

urlpatterns = [
    path("recordings/<int:pk>/audio", views.recording_audio, name="recording-audio"),
    path("voicemails/<int:pk>/audio", views.voicemail_audio, name="voicemail-audio"),
]

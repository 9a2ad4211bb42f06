"""The wallboard's URLs under /wallboard/."""

from django.urls import path

from hotline.wallboard import views

urlpatterns = [
    path("", views.wallboard, name="wallboard"),
    path("questions", views.questions, name="wallboard-questions"),
    path("questions/<int:pk>/answer", views.answer, name="wallboard-answer"),
]

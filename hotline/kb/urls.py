"""The knowledge base screen, under /kb/."""

from django.urls import path

from hotline.kb import views

urlpatterns = [
    path("", views.article_list, name="kb-list"),
    path("new", views.article_edit, name="kb-new"),
    path("report", views.use_report, name="kb-report"),
    path("<int:pk>", views.article_detail, name="kb-article"),
    path("<int:pk>/edit", views.article_edit, name="kb-edit"),
    path("<int:pk>/<str:verb>", views.article_status, name="kb-status"),
    path("answers/<int:pk>/draft", views.draft_from_answer, name="kb-draft-from-answer"),
    path("questions/<int:pk>/answer", views.answer_to_draft, name="kb-answer-to-draft"),
]

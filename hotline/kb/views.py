"""The /kb/ screen: the article list and search, writing and editing, review (publish / archive), history,
the supervisors' answers waiting to become articles, and the use report by period."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.kb.actions import (
    do_answer_into_draft,
    do_archive_article,
    do_draft_from_answer,
    do_publish_article,
    do_save_article,
)
from hotline.kb.forms import ArticleForm, PeriodForm
from hotline.kb.models import Article, ArticleStatus
from hotline.kb.queries import answered_questions, articles_for_screen, product_on_air, report, top_this_week
from hotline.service.models import Message
from hotline.service.queries import open_questions


def _errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": list(error.messages)}


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    """Every article (who may edit sees drafts), the week's top questions and the answers to file."""
    user = require_perm(request, Perm.VIEW_ARTICLE, page=True)
    editor = user.has_perm(Perm.CHANGE_ARTICLE)
    status = request.GET.get("status", "") if editor else ArticleStatus.PUBLISHED
    status = status if status in ArticleStatus.values else ""
    on_air = product_on_air()
    context: dict[str, Any] = {
        "on_air": on_air, "top_on_air": top_this_week(product_id=on_air.pk) if on_air is not None else [],
        "articles": articles_for_screen(status, request.GET.get("q", ""))[:200], "status": status,
        "q": request.GET.get("q", ""), "statuses": ArticleStatus.choices, "editor": editor,
        "top": top_this_week(), "answers": answered_questions() if editor else []}
    return render(request, "kb/list.html", context)


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One article with its history (versions)."""
    user = require_perm(request, Perm.VIEW_ARTICLE, page=True)
    article = get_object_or_404(Article.objects.select_related("category", "author", "reviewed_by"), pk=pk)
    editor = user.has_perm(Perm.CHANGE_ARTICLE)
    if article.status != ArticleStatus.PUBLISHED and not editor:
        require_perm(request, Perm.CHANGE_ARTICLE, page=True)
    return render(request, "kb/article.html", {
        "article": article, "editor": editor, "publisher": user.has_perm(Perm.PUBLISH_ARTICLE),
        "versions": article.versions.select_related("saved_by")})


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Write a new draft or edit an article; errors are shown on their fields and nothing is saved."""
    user = require_perm(request, Perm.CHANGE_ARTICLE, page=True)
    article = get_object_or_404(Article, pk=pk) if pk is not None else None
    if request.method == "GET":
        form = ArticleForm.of(article) if article is not None else ArticleForm()
        return render(request, "kb/edit.html", {"form": form, "article": article})
    form = ArticleForm(request.POST)
    if form.is_valid():
        try:
            saved = do_save_article(article, actor=user, **form.cleaned_data)
        except ValidationError as error:
            for field, texts in _errors(error).items():
                form.add_error(field if field in form.fields else None, texts)
        else:
            messages.success(request, _("Article saved."))
            return redirect("kb-article", saved.pk)
    return render(request, "kb/edit.html", {"form": form, "article": article}, status=422)


@login_required
@require_POST
def article_status(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """Publish (after review) or archive an article."""
    user = require_perm(request, Perm.PUBLISH_ARTICLE, page=True)
    article = get_object_or_404(Article, pk=pk)
    action = {"publish": do_publish_article, "archive": do_archive_article}.get(verb)
    if action is None:
        return HttpResponse(status=404)
    try:
        action(article, actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Article published.") if verb == "publish" else _("Article archived."))
    return redirect("kb-article", article.pk)


@login_required
@require_POST
def draft_from_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """From the /kb/ list: an answered question becomes a draft, opened for review."""
    user = require_perm(request, Perm.CHANGE_ARTICLE, page=True)
    try:
        article = do_draft_from_answer(get_object_or_404(Message, pk=pk), actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("kb-list")
    messages.success(request, _("Draft made from the answer; review and publish it."))
    return redirect("kb-edit", article.pk)


@login_required
@require_POST
def answer_to_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The wallboard's "answer and file in the knowledge base": answer the question (as the wallboard does)
    and make the answer a draft, in one click. Answers the wallboard's fresh question list."""
    user = require_perm(request, Perm.CHANGE_ARTICLE)
    require_perm(request, Perm.SUPERVISE_CALLS)
    question = get_object_or_404(Message, pk=pk)
    errors: list[str] = []
    article = None
    try:
        article = do_answer_into_draft(question, request.POST.get("body", ""), actor=user)
    except ValidationError as error:
        errors = list(error.messages)
    context = {"questions": open_questions(), "errors": errors, "filed": article}
    return render(request, "wallboard/questions.html", context, status=422 if errors else 200)


@login_required
@require_GET
def use_report(request: HttpRequest) -> HttpResponse:
    """Opens and "this answered it" per article over a period."""
    require_perm(request, Perm.VIEW_REPORTS, page=True)
    form = PeriodForm(request.GET)
    data = report(form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_valid() else None
    return render(request, "kb/report.html", {"form": form, "report": data}, status=200 if data else 422)

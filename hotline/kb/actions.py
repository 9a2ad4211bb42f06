"""Every write of the knowledge base: save (draft or edit), publish, archive, a supervisor's answer made a
draft, and the use counters. Each checks its permission, validates, keeps a version and an audit row."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot, user_or_none
from hotline.accounts.permissions import Perm, require_perm
from hotline.catalog.models import Product
from hotline.kb.models import Article, ArticleGram, ArticleStatus, ArticleUse, ArticleVersion, Category
from hotline.kb.search import article_grams, plain_text, search_columns, split_tags
from hotline.service.actions import do_answer_question
from hotline.service.models import Message, MessageKind

# What an answer may contain: paragraphs, lists, emphasis, tables and links; no scripts, styles or images.
ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "h3", "h4", "blockquote",
                "table", "thead", "tbody", "tr", "th", "td", "a", "span", "code", "pre", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
USE_KINDS = ("open", "answered")


def sanitize(answer: str) -> str:
    """The answer's HTML with only ALLOWED_TAGS and safe links (http, https, mailto, tel) kept."""
    return nh3.clean(answer or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer").strip()


def _keep_version(article: Article, note: str, actor: Any) -> None:
    ArticleVersion.objects.create(article=article, number=article.version, question=article.question,
                                  answer=article.answer, tags=article.tags, status=article.status, note=note,
                                  category_name=article.category.name if article.category else "",
                                  saved_by=user_or_none(actor))


def _check_fields(question: str, answer: str, valid_from: datetime.date | None,
                  valid_to: datetime.date | None) -> None:
    errors: dict[str, str] = {}
    if not question:
        errors["question"] = _("Write the question.")
    if not plain_text(answer):
        errors["answer"] = _("Write the answer.")
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = _("The end of validity cannot be before its start.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_save_article(article: Article | None, *, actor: Any, question: str, answer: str,
                    category: Category | None = None, products: Iterable[Product] = (), tags: str = "",
                    valid_from: datetime.date | None = None, valid_to: datetime.date | None = None,
                    note: str = "") -> Article:
    """Write a new draft (`article` None) or change an article; its status stays, a version is kept."""
    require_perm(actor, Perm.CHANGE_ARTICLE)
    question, answer = (question or "").strip(), sanitize(answer)
    _check_fields(question, answer, valid_from, valid_to)
    before = None
    if article is None:
        article = Article(author=user_or_none(actor), version=1)
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
        before = snapshot(article)
        article.version += 1
    article.question, article.answer, article.category = question, answer, category
    article.tags = ", ".join(split_tags(tags))
    article.valid_from, article.valid_to = valid_from, valid_to
    article.search_question, article.search_body = search_columns(question, answer, article.tags)
    article.full_clean(exclude=["products"])
    article.save()
    article.products.set(list(products))
    ArticleGram.objects.filter(article=article).delete()
    ArticleGram.objects.bulk_create([ArticleGram(article=article, gram=gram) for gram in
                                     sorted(article_grams(article.search_question, article.search_body))])
    _keep_version(article, note or (_("Written") if before is None else _("Edited")), actor)
    record("save_article", article, actor=actor, before=before, after=snapshot(article))
    return article


def _set_status(article: Article, status: str, *, actor: Any, note: str) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    before = snapshot(article)
    article.status = status
    article.version += 1
    if status == ArticleStatus.PUBLISHED:
        article.reviewed_by, article.reviewed_at = user_or_none(actor), timezone.now()
    article.save()
    _keep_version(article, note, actor)
    record(f"{status}_article", article, actor=actor, before=before, after=snapshot(article))
    return article


@transaction.atomic
def do_publish_article(article: Article, *, actor: Any) -> Article:
    """Review and publish a draft (or an archived article): agents find it from now on."""
    require_perm(actor, Perm.PUBLISH_ARTICLE)
    if article.status == ArticleStatus.PUBLISHED:
        raise ValidationError(_("This article is already published."))
    return _set_status(article, ArticleStatus.PUBLISHED, actor=actor, note=_("Published"))


@transaction.atomic
def do_archive_article(article: Article, *, actor: Any) -> Article:
    """Take an article away from agents (kept with its history and counts)."""
    require_perm(actor, Perm.PUBLISH_ARTICLE)
    if article.status == ArticleStatus.ARCHIVED:
        raise ValidationError(_("This article is already archived."))
    return _set_status(article, ArticleStatus.ARCHIVED, actor=actor, note=_("Archived"))


@transaction.atomic
def do_draft_from_answer(question: Message, *, actor: Any) -> Article:
    """A supervisor's answer to an agent's question becomes a draft: the question and the latest answer."""
    require_perm(actor, Perm.CHANGE_ARTICLE)
    if question.kind != MessageKind.QUESTION:
        raise ValidationError(_("Only a question can become an article."))
    reply = question.replies.order_by("-created_at", "-id").first()
    if reply is None:
        raise ValidationError(_("This question has no answer yet."))
    existing = Article.objects.filter(source_message=question).first()
    if existing is not None:
        raise ValidationError(_("This answer is already in the knowledge base (article %(id)s).")
                              % {"id": existing.pk})
    article = do_save_article(None, actor=actor, question=question.body[:300],
                              answer=f"<p>{nh3.clean_text(reply.body)}</p>", note=_("From a supervisor's answer"))
    article.source_message = question
    article.save(update_fields=["source_message"])
    return article


@transaction.atomic
def do_answer_into_draft(question: Message, body: str, *, actor: Any) -> Article:
    """The wallboard's one click: answer an agent's question (the answer reaches their desk) and file the
    question and the answer as a draft. Neither happens if either is refused."""
    require_perm(actor, Perm.CHANGE_ARTICLE)
    do_answer_question(question, body, actor=actor)
    return do_draft_from_answer(question, actor=actor)


# Not audited: a count is not a change of anything someone decided, and a surge makes thousands of them.
@transaction.atomic
def do_count_use(article: Article, kind: str, *, actor: Any, day: datetime.date | None = None) -> None:
    """Count one open or one "this answered it" of a visible article, on its day and in its totals."""
    require_perm(actor, Perm.VIEW_ARTICLE)
    if kind not in USE_KINDS:
        raise ValidationError({"kind": _("Say whether the article was opened or answered the question.")})
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError(_("Only a published article is counted."))
    column = "opens" if kind == "open" else "answered"
    day = day or timezone.localdate()
    use, _created = ArticleUse.objects.get_or_create(article=article, day=day)
    ArticleUse.objects.filter(pk=use.pk).update(**{column: F(column) + 1})
    Article.objects.filter(pk=article.pk).update(**{column: F(column) + 1})

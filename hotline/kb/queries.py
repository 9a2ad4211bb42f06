"""Reads of the knowledge base: the most used articles over a period, the product on air or of a call,
the desk's suggestions, the use report, and the supervisors' answers not yet in the knowledge base."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from hotline.calls.models import CallRecord
from hotline.catalog.models import Product
from hotline.kb.models import Article, ArticleUse
from hotline.kb.search import visible
from hotline.media.models import Airing
from hotline.media.queries import attribution_window
from hotline.service.models import Message, MessageKind

WEEK = 7


@dataclass(frozen=True)
class Ranked:
    """An article and its uses in a period."""

    article: Article
    opens: int
    answered: int


def top_articles(start: datetime.date, end: datetime.date, *, product_id: int | None = None,
                 limit: int = 10, only_visible: bool = True) -> list[Ranked]:
    """The articles most used between two days (inclusive): "this answered it" first, then opens."""
    uses = ArticleUse.objects.filter(day__gte=start, day__lte=end)
    if only_visible:
        uses = uses.filter(article__in=visible())
    if product_id is not None:
        uses = uses.filter(article__products=product_id)
    totals = list(uses.values("article").annotate(opened=Sum("opens"), confirmed=Sum("answered"))
                  .order_by("-confirmed", "-opened", "article")[:limit])
    articles = Article.objects.select_related("category").in_bulk([row["article"] for row in totals])
    return [Ranked(articles[row["article"]], row["opened"], row["confirmed"]) for row in totals]


def top_this_week(*, product_id: int | None = None, limit: int = 10) -> list[Ranked]:
    """The last seven days' most used articles (of one product when given)."""
    today = timezone.localdate()
    return top_articles(today - datetime.timedelta(days=WEEK - 1), today, product_id=product_id, limit=limit)


def product_on_air(now: datetime.datetime | None = None) -> Product | None:
    """The product of the airing on now, or of the latest one still inside its attribution window."""
    now = now or timezone.now()
    airing = (Airing.objects.filter(starts_at__lte=now, ends_at__gte=now - attribution_window(),
                                    product__isnull=False)
              .select_related("product").order_by("-starts_at").first())
    return airing.product if airing is not None else None


def product_of_call(call_id: str) -> Product | None:
    """The product of the airing a call is attributed to; else the product on air now."""
    call = (CallRecord.objects.filter(call_id=call_id).select_related("airing__product").first()
            if call_id else None)
    if call is not None and call.airing is not None and call.airing.product is not None:
        return call.airing.product
    return product_on_air()


def for_product(product_id: int, *, limit: int = 8) -> list[Article]:
    """A product's visible articles, the most used first (what the desk suggests before the agent types)."""
    return list(visible().filter(products=product_id).select_related("category")
                .order_by("-answered", "-opens", "id")[:limit])


def report(start: datetime.date, end: datetime.date, *, limit: int = 50) -> dict[str, object]:
    """Uses per article over a period (any status), and the totals."""
    rows = top_articles(start, end, limit=limit, only_visible=False)
    totals = ArticleUse.objects.filter(day__gte=start, day__lte=end).aggregate(opens=Sum("opens"),
                                                                               answered=Sum("answered"))
    return {"rows": rows, "opens": totals["opens"] or 0, "answered": totals["answered"] or 0}


def answered_questions(limit: int = 20) -> QuerySet[Message]:
    """Agents' questions a supervisor answered that no article was made from yet, newest first."""
    taken = Article.objects.filter(source_message=OuterRef("pk"))
    return (Message.objects.filter(kind=MessageKind.QUESTION, answered_at__isnull=False)
            .filter(~Exists(taken)).select_related("sender").order_by("-answered_at", "-id")[:limit])


def articles_for_screen(status: str = "", text: str = "") -> QuerySet[Article]:
    """The /kb/ list: every article, the latest changed first, filtered by status and by words in the question."""
    rows = Article.objects.select_related("category", "author", "reviewed_by")
    if status:
        rows = rows.filter(status=status)
    if text.strip():
        rows = rows.filter(Q(question__icontains=text.strip()) | Q(tags__icontains=text.strip()))
    return rows.order_by("-updated_at", "-id")

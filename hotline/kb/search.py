"""Finding articles in Chinese: a substring match on two normalised columns, the same on SQLite and PostgreSQL.

Chinese has no spaces, so a word tokenizer (jieba) would miss a substring the agent types ("退货" in
"如何办理退货手续"), and FTS5 trigram or pg_trgm cannot use their index for a term under three characters,
which is most Chinese terms. The measured choice (docs/benchmarks.md, `hotline bench kb`) is the simplest:
the actions write `search_question` (the question lower-cased, then its pinyin initials, e.g. `jzamy`) and
`search_body` (the answer's text and the tags), and a search is `LIKE '%term%'` on them over the published
articles. Every term must match; a term found in the question ranks before one found only in the answer;
equal matches go by use ("this answered it", then opens).
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from hotline.catalog.models import pinyin_initials
from hotline.kb.models import Article, ArticleStatus, Category

MAX_TERMS = 5
MAX_TERM_LENGTH = 50
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_SPLIT = re.compile(r"[\s,，、;；]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def plain_text(rich: str) -> str:
    """The answer's words without markup: what a search looks in."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", rich or ""))).strip()


def split_tags(text: str) -> list[str]:
    """`退货, 运费 包邮` -> ["退货", "运费", "包邮"], each once."""
    return list(dict.fromkeys(tag for tag in _SPLIT.split(text or "") if tag))


def search_columns(question: str, answer: str, tags: str) -> tuple[str, str]:
    """(search_question, search_body) for an article: lower-cased; the question's pinyin initials appended
    (with a variant per reading of a heteronym, as the catalog does for products)."""
    question = question.strip()
    initials = pinyin_initials(question) if _HAN.search(question) else ""
    return (f"{question.lower()} | {initials}".strip(" |"),
            f"{plain_text(answer).lower()} | {' '.join(split_tags(tags)).lower()}".strip(" |"))


def terms_of(text: str) -> list[str]:
    """The words of a search, lower-cased, at most MAX_TERMS of at most MAX_TERM_LENGTH characters."""
    return [term[:MAX_TERM_LENGTH] for term in _SPLIT.split((text or "").strip().lower()) if term][:MAX_TERMS]


def category_ids(category: Category) -> list[int]:
    """The category and everything under it (the tree is small: read once, walked in Python)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = [], [category.pk]
    while todo:
        pk = todo.pop()
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def visible(today: datetime.date | None = None) -> QuerySet[Article]:
    """Published articles inside their validity dates: what agents see."""
    today = today or timezone.localdate()
    return (Article.objects.filter(status=ArticleStatus.PUBLISHED)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)))


@dataclass(frozen=True)
class Search:
    """What the agent asks for: words, a product, a category (each optional)."""

    text: str = ""
    product_id: int | None = None
    category: Category | None = None


def search(query: Search, *, limit: int = 20, articles: QuerySet[Article] | None = None) -> list[Article]:
    """The best `limit` articles for the query: every word matches; question matches first, then by use."""
    rows = visible() if articles is None else articles
    if query.product_id is not None:
        rows = rows.filter(products=query.product_id)
    if query.category is not None:
        rows = rows.filter(category_id__in=category_ids(query.category))
    terms = terms_of(query.text)
    in_question = Value(0, output_field=IntegerField())
    for term in terms:
        rows = rows.filter(Q(search_question__contains=term) | Q(search_body__contains=term))
        # a term in the question counts one point: more question words, higher
        in_question = in_question + Case(When(search_question__contains=term, then=Value(1)), default=Value(0),
                                         output_field=IntegerField())
    rows = rows.annotate(in_question=in_question).order_by("-in_question", "-answered", "-opens", "id")
    return list(rows.select_related("category").only(
        "id", "question", "category__name", "answered", "opens", "valid_to")[:limit])

"""Finding articles in Chinese: a substring match on two normalised columns, the same on SQLite and PostgreSQL.

Chinese has no spaces, so a word tokenizer (jieba) would miss a substring the agent types ("退货" in
"如何办理退货手续"), and FTS5 trigram or pg_trgm cannot use their index for a term under three characters,
which is most Chinese terms. The actions write `search_question` (the question lower-cased, then its pinyin
initials, e.g. `jzamy`) and `search_body` (the answer's text and the tags), and a term matches when it is a
substring of either (`LIKE '%term%'`). A LIKE alone scans every article (measured: 120 ms and more over
20,000, `hotline bench kb`), so each article's distinct two-character pieces are also kept in `ArticleGram`, an inverted
index the same on SQLite and PostgreSQL (three-letter pieces inside ASCII runs such as pinyin initials): a
term first takes the articles holding all its pieces, and only those are checked with LIKE. Every term must
match; a term found in the question ranks before one found only in the answer; equal matches go by use
("this answered it", then opens).
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from hotline.catalog.models import pinyin_initials
from hotline.kb.models import Article, ArticleGram, ArticleStatus, Category

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


def grams_of(text: str) -> set[str]:
    """The distinct pieces the index keeps of a text: two characters where one is Chinese (or any non-ASCII),
    three inside a run of ASCII (pinyin initials, model numbers), whose two-letter pieces would be in nearly
    every article. None spans a space or the columns' `|` separator. A term's pieces are a subset of the
    pieces of every text that contains it."""
    found = set()
    for i in range(len(text) - 1):
        pair = text[i:i + 2]
        if " " in pair or "|" in pair:
            continue
        if not pair.isascii():
            found.add(pair)
        elif i + 3 <= len(text) and text[i + 2] not in " |" and text[i:i + 3].isascii():
            found.add(text[i:i + 3])
    return found


def article_grams(search_question: str, search_body: str) -> set[str]:
    """What ArticleGram holds for an article."""
    return grams_of(search_question) | grams_of(search_body)


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


def _like(term: str) -> str:
    """`%term%` with LIKE's own wildcards typed by the agent taken literally (ESCAPE '\\')."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _term_sql(term: str) -> tuple[str, list[object]]:
    """The WHERE part of one term: the articles holding its bigrams, then (unless the term is one bigram,
    which the index matches exactly) the substring itself."""
    grams = sorted(grams_of(term))
    like = "(a.search_question LIKE %s ESCAPE '\\' OR a.search_body LIKE %s ESCAPE '\\')"
    if not grams:
        return like, [_like(term), _like(term)]
    holding = (f"a.id IN (SELECT g.article_id FROM {ArticleGram._meta.db_table} g WHERE g.gram IN "
               f"({', '.join(['%s'] * len(grams))}) GROUP BY g.article_id HAVING COUNT(*) = %s)")
    if len(grams) == 1 and len(grams[0]) == len(term):  # the term is its one piece: the index matched it
        return holding, [*grams, 1]
    return f"{holding} AND {like}", [*grams, len(grams), _like(term), _like(term)]


def search(query: Search, *, limit: int = 20) -> list[Article]:
    """The best `limit` visible articles for the query: every word matches; question matches first, then
    by use. One SQL statement written here rather than by the ORM: building the ORM's query cost more than
    running it (measured with `hotline bench kb`)."""
    today = timezone.localdate()
    where = ["a.status = %s", "(a.valid_from IS NULL OR a.valid_from <= %s)",
             "(a.valid_to IS NULL OR a.valid_to >= %s)"]
    params: list[object] = [ArticleStatus.PUBLISHED, today, today]
    if query.product_id is not None:
        where.append(f"a.id IN (SELECT p.article_id FROM {Article.products.through._meta.db_table} p "
                     "WHERE p.product_id = %s)")
        params.append(query.product_id)
    if query.category is not None:
        ids = category_ids(query.category)
        where.append(f"a.category_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    rank, rank_params = ["0"], []
    for term in terms_of(query.text):
        sql, term_params = _term_sql(term)
        where.append(sql)
        params += term_params
        # a term in the question counts one point: more question words, higher
        rank.append("CASE WHEN a.search_question LIKE %s ESCAPE '\\' THEN 1 ELSE 0 END")
        rank_params.append(_like(term))
    statement = (f"SELECT a.id, a.question, a.answered, a.opens, a.valid_to, a.category_id, c.name AS category_name, "
                 f"({' + '.join(rank)}) AS in_question "
                 f"FROM {Article._meta.db_table} a LEFT JOIN {Category._meta.db_table} c ON c.id = a.category_id "
                 f"WHERE {' AND '.join(where)} ORDER BY in_question DESC, a.answered DESC, a.opens DESC, a.id "
                 f"LIMIT %s")
    return list(Article.objects.raw(statement, [*rank_params, *params, limit]))

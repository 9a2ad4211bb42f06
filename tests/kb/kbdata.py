"""Articles for the knowledge base tests, written through the actions as a supervisor would."""

from __future__ import annotations

from typing import Any

from hotline.catalog.models import Product
from hotline.kb.actions import do_publish_article, do_save_article
from hotline.kb.models import Article, Category


def publish(supervisor: Any, question: str, answer: str, *, products: tuple[Product, ...] = (),
            category: Category | None = None, tags: str = "", **fields: Any) -> Article:
    """A published article."""
    article = do_save_article(None, actor=supervisor, question=question, answer=answer, products=products,
                              category=category, tags=tags, **fields)
    return do_publish_article(article, actor=supervisor)

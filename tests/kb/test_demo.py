"""The demo knowledge base: categories, published articles (some for the products on air), counted use, a draft."""

from __future__ import annotations

import datetime

from django.utils import timezone

from hotline.kb.demo import load_demo_kb
from hotline.kb.models import Article, Category
from hotline.kb.queries import for_product, top_this_week
from hotline.kb.search import Search, search
from tests import factories


def test_the_demo_articles(db) -> None:
    station = factories.make_station()
    product = factories.make_product("颈椎按摩仪", "398.00")
    factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(hours=1), product=product)
    assert load_demo_kb() == 12
    assert load_demo_kb() == 0  # once
    assert (Category.objects.count(), Article.objects.filter(status="published").count(),
            Article.objects.filter(status="draft").count()) == (8, 11, 1)
    assert [a.question for a in for_product(product.pk)] == [
        "颈椎按摩仪今天有什么优惠？", "颈椎按摩仪怎么使用？", "颈椎按摩仪适合老人和孕妇吗？"]
    assert top_this_week(limit=1)[0].article.question == "多久能收到货？"
    assert [a.question for a in search(Search("退货"))] == ["如何办理退货？"]

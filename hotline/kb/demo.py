"""Demo knowledge base for `hotline loaddemo`: a small category tree and published articles in Chinese, a
few for the products on air, with some use counted so that the ranking shows. One draft waits for review."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.catalog.models import Product
from hotline.kb.actions import do_count_use, do_publish_article, do_save_article
from hotline.kb.models import Article, Category

TREE = {"售前咨询": ["产品功能", "价格与优惠"], "售后服务": ["退换货", "保修"], "物流配送": [], "支付与发票": []}
GENERAL = [
    ("退换货", "如何办理退货？", "<p>签收后<b>七天内</b>可无理由退货：</p><ol><li>保留原包装和配件；</li>"
     "<li>拨打热线登记退货；</li><li>快递上门取件，运费由我们承担。</li></ol>", "退货, 七天无理由", 9),
    ("退换货", "收到的商品有破损怎么办？",
     "<p>请在签收时当面验货；如有破损可拒收，或拍照后拨打热线，我们免费补发。</p>", "破损, 补发", 4),
    ("保修", "产品保修多久？", "<p>电器类产品整机保修<b>一年</b>，人为损坏除外。保修凭订单号即可，无需发票。</p>",
     "保修, 维修", 6),
    ("物流配送", "多久能收到货？", "<p>下单后 48 小时内发货，一般 3–5 天送达；偏远地区 7 天左右。</p>",
     "发货, 快递, 几天", 12),
    ("物流配送", "可以指定送货时间吗？", "<p>可以在订单备注里写明，快递员送货前会电话联系您。</p>", "送货时间", 2),
    ("支付与发票", "货到付款可以刷卡吗？", "<p>大部分城市支持快递员 POS 机刷卡或扫码付款。</p>", "货到付款, 刷卡", 5),
    ("支付与发票", "怎么开发票？", "<p>下单时告诉话务员发票抬头和税号，发票随货寄出；电子发票发送到您的邮箱。</p>",
     "发票, 税号", 3),
    ("价格与优惠", "积分怎么用？", "<p>每消费 1 元积 1 分，100 分可抵 1 元，下次订购时告诉话务员即可使用。</p>",
     "积分, 抵扣", 1),
]
PER_PRODUCT = [
    ("产品功能", "{name}怎么使用？", "<p>使用前请阅读说明书。{name}首次使用请先充满电，每次使用 15 分钟为宜。</p>", 7),
    ("产品功能", "{name}适合老人和孕妇吗？", "<p>老人可以放心使用；孕妇及心脏病患者请先咨询医生。</p>", 3),
    ("价格与优惠", "{name}今天有什么优惠？", "<p>热线订购享受电视特价，并送精美赠品，全国包邮。</p>", 8),
]


def _categories() -> dict[str, Category]:
    made: dict[str, Category] = {}
    for position, (root, children) in enumerate(TREE.items()):
        made[root] = Category.objects.create(name=root, position=position)
        for index, child in enumerate(children):
            made[child] = Category.objects.create(name=child, parent=made[root], position=index)
    return made


def _count(article: Article, answered: int) -> None:
    """Some use over the last days: opens on most days, "this answered it" on some."""
    today = timezone.localdate()
    for back in range(answered):
        day = today - datetime.timedelta(days=back % 7)
        do_count_use(article, "open", actor=None, day=day)
        do_count_use(article, "answered", actor=None, day=day)


@transaction.atomic
def load_demo_kb(*, actor: Any = None) -> int:
    """Create the demo articles and return how many; does nothing (0) when any article exists."""
    if Article.objects.exists():
        return 0
    categories = _categories()
    count = 0
    for category, question, answer, tags, uses in GENERAL:
        article = do_save_article(None, actor=actor, question=question, answer=answer, tags=tags,
                                  category=categories[category])
        _count(do_publish_article(article, actor=actor), uses)
        count += 1
    for product in Product.objects.filter(airings__isnull=False).distinct().order_by("short_code")[:6]:
        for category, question, answer, uses in PER_PRODUCT:
            article = do_save_article(None, actor=actor, question=question.format(name=product.name),
                                      answer=answer.format(name=product.name), tags=product.name,
                                      category=categories[category], products=[product])
            _count(do_publish_article(article, actor=actor), uses)
            count += 1
    do_save_article(None, actor=actor, question="电视上说的限时特价到几点结束？",
                    answer="<p>以当期节目播出时间为准，一般在节目结束后 30 分钟内订购有效。</p>", note="待审核")
    return count + 1

"""Demo scripts (话术) for `hotline loaddemo`: a greeting per hotline number, a pitch per product on air,
and general ones for cross-selling, complaints and closing. Chinese, as the demo's default locale."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hotline.accounts.actions import do_save_object
from hotline.catalog.models import Product
from hotline.media.models import HotlineNumber
from hotline.service.models import Script

# The fields that address the caller read naturally for a caller whose name is unknown too (see
# hotline.service.queries.address_fields): “王先生，您好！” / “您好！”, “王先生，您刚才…” / “您刚才…”.
GREETING = "{greeting}！欢迎致电%(station)s购物热线{hotline}，我是{agent}，很高兴为您服务。请问有什么可以帮您？"
PITCH = ("{salutation_lead}您刚才在电视上看到的就是我们的{product}。今天热线特价{price}元，全国货到付款，"
         "收到货满意再付款，七天无理由退换。请问您需要订购几套？")
GENERAL = [
    ("加购推荐", "{salutation_lead}今天订购的客户还可以加购我们的热销配套产品，享受热线专属优惠价，"
     "和{product}一起发货不另收运费。需要我为您介绍一下吗？"),
    ("投诉安抚", "非常抱歉给您带来了不便{salutation_tail}。您反映的问题我已经详细记录，"
     "我们的主管会在24小时内给您回电处理，请您保持电话畅通。"),
    ("结束语", "感谢您的来电{salutation_tail}。您的订单我们会尽快安排发货，快递员送货前会和您电话联系。"
     "如有任何问题，欢迎随时拨打{hotline}。祝您生活愉快，再见！"),
]


@transaction.atomic
def load_demo_scripts(*, actor: Any = None) -> int:
    """Create the demo scripts and return how many; does nothing (0) when any script exists."""
    if Script.objects.exists():
        return 0
    scripts: list[Script] = []
    for number in HotlineNumber.objects.filter(active=True).select_related("station"):
        station = number.station.name if number.station else ""
        body = GREETING % {"station": station}
        scripts.append(Script(title=f"开场白 {number.number}", body=body, hotline_number=number, position=10))
    for product in Product.objects.filter(airings__isnull=False).distinct().order_by("short_code"):
        scripts.append(Script(title=f"产品介绍 {product.name}"[:100], body=PITCH, product=product, position=20))
    for position, (title, body) in enumerate(GENERAL, start=30):
        scripts.append(Script(title=title, body=body, position=position))
    for script in scripts:
        do_save_object(script, actor=actor)
    return len(scripts)

"""Demo scripts: one greeting per hotline number, one pitch per product on air, general ones; once only."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps as django_apps
from django.utils import translation

from hotline.accounts.models import AuditEntry
from hotline.service.demo import load_demo_scripts
from hotline.service.models import Script
from hotline.service.queries import render_script, scripts_for
from tests import factories


def test_demo_scripts_are_created_once(world: Any, users: dict[str, Any]) -> None:
    factories.make_airing(world.station, product=world.product)
    factories.make_airing(world.station, product=world.product)
    assert load_demo_scripts(actor=users["admin"]) == 5
    assert [(s.title, s.product, s.hotline_number) for s in Script.objects.order_by("position", "id")] == [
        ("开场白 4008001000", None, world.hotline),
        ("产品介绍 颈椎按摩仪", world.product, None),
        ("加购推荐", None, None),
        ("投诉安抚", None, None),
        ("结束语", None, None),
    ]
    assert AuditEntry.objects.filter(object_type="service.script", actor=users["admin"]).count() == 5
    assert load_demo_scripts() == 0
    assert Script.objects.count() == 5


def test_the_demo_greeting_and_pitch_render(world: Any, users: dict[str, Any]) -> None:
    factories.make_airing(world.station, product=world.product)
    load_demo_scripts()
    agent = users["agent"]
    agent.first_name = "李娜"
    greeting = Script.objects.get(hotline_number=world.hotline)
    pitch = Script.objects.get(product=world.product)
    with translation.override("zh-hans"):
        text = render_script(greeting, customer=world.customer, hotline="4008001000", agent=agent)
    assert text == (
        "王先生，您好！欢迎致电湖南卫视购物热线4008001000，我是李娜，很高兴为您服务。请问有什么可以帮您？")
    assert render_script(pitch, customer=world.customer, product=world.product) == (
        "王先生，您刚才在电视上看到的就是我们的颈椎按摩仪。今天热线特价398.00元，全国货到付款，"
        "收到货满意再付款，七天无理由退换。请问您需要订购几套？")
    assert [s.title for s in scripts_for(product_id=world.product.pk, hotline="4008001000")] == [
        "产品介绍 颈椎按摩仪", "开场白 4008001000", "加购推荐", "投诉安抚", "结束语"]


# Every demo script, read to a returning customer and to a caller whose name is unknown (zh-Hans, the demo's).
DEMO_TEXTS = {
    "开场白 4008001000": (
        "王先生，您好！欢迎致电湖南卫视购物热线4008001000，我是李娜，很高兴为您服务。请问有什么可以帮您？",
        "您好！欢迎致电湖南卫视购物热线4008001000，我是李娜，很高兴为您服务。请问有什么可以帮您？"),
    "产品介绍 颈椎按摩仪": (
        "王先生，您刚才在电视上看到的就是我们的颈椎按摩仪。今天热线特价398.00元，全国货到付款，"
        "收到货满意再付款，七天无理由退换。请问您需要订购几套？",
        "您刚才在电视上看到的就是我们的颈椎按摩仪。今天热线特价398.00元，全国货到付款，"
        "收到货满意再付款，七天无理由退换。请问您需要订购几套？"),
    "加购推荐": (
        "王先生，今天订购的客户还可以加购我们的热销配套产品，享受热线专属优惠价，和颈椎按摩仪一起发货不另收运费。"
        "需要我为您介绍一下吗？",
        "今天订购的客户还可以加购我们的热销配套产品，享受热线专属优惠价，和颈椎按摩仪一起发货不另收运费。"
        "需要我为您介绍一下吗？"),
    "投诉安抚": (
        "非常抱歉给您带来了不便，王先生。您反映的问题我已经详细记录，我们的主管会在24小时内给您回电处理，"
        "请您保持电话畅通。",
        "非常抱歉给您带来了不便。您反映的问题我已经详细记录，我们的主管会在24小时内给您回电处理，"
        "请您保持电话畅通。"),
    "结束语": (
        "感谢您的来电，王先生。您的订单我们会尽快安排发货，快递员送货前会和您电话联系。"
        "如有任何问题，欢迎随时拨打4008001000。祝您生活愉快，再见！",
        "感谢您的来电。您的订单我们会尽快安排发货，快递员送货前会和您电话联系。"
        "如有任何问题，欢迎随时拨打4008001000。祝您生活愉快，再见！"),
}


def _demo_texts(customer: Any, agent: Any, product: Any) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {script.title: render_script(script, customer=customer, product=product, hotline="4008001000",
                                            agent=agent)
                for script in Script.objects.order_by("position", "id")}


def test_every_demo_script_reads_naturally_to_a_known_and_to_an_unknown_caller(
        world: Any, users: dict[str, Any]) -> None:
    factories.make_airing(world.station, product=world.product)
    load_demo_scripts()
    agent = users["agent"]
    agent.first_name = "李娜"
    known = _demo_texts(world.customer, agent, world.product)
    unknown = _demo_texts(None, agent, world.product)
    assert known == {title: texts[0] for title, texts in DEMO_TEXTS.items()}
    assert unknown == {title: texts[1] for title, texts in DEMO_TEXTS.items()}


OLD_DEMO = {
    "开场白": "{salutation}您好！欢迎致电湖南卫视购物热线{hotline}，我是{agent}，很高兴为您服务。请问有什么可以帮您？",
    "产品介绍": "{salutation}，您刚才在电视上看到的就是我们的{product}。",
    "加购推荐": "{salutation}，今天订购的客户还可以加购我们的热销配套产品。",
    "投诉安抚": "非常抱歉给您带来了不便，{salutation}。您反映的问题我已经详细记录。",
    "结束语": "感谢您的来电，{salutation}。祝您生活愉快，再见！",
    "own": "{salutation}您好，这是管理员自己写的。",
}


def test_the_migration_rewrites_the_old_demo_scripts_and_leaves_others_alone(db: None) -> None:
    for title, body in OLD_DEMO.items():
        Script.objects.create(title=title, body=body)
    migration = importlib.import_module("hotline.service.migrations.0002_script_address_fields")
    migration.rewrite_demo_scripts(django_apps, None)
    assert dict(Script.objects.values_list("title", "body")) == {
        "开场白": "{greeting}！欢迎致电湖南卫视购物热线{hotline}，我是{agent}，很高兴为您服务。请问有什么可以帮您？",
        "产品介绍": "{salutation_lead}您刚才在电视上看到的就是我们的{product}。",
        "加购推荐": "{salutation_lead}今天订购的客户还可以加购我们的热销配套产品。",
        "投诉安抚": "非常抱歉给您带来了不便{salutation_tail}。您反映的问题我已经详细记录。",
        "结束语": "感谢您的来电{salutation_tail}。祝您生活愉快，再见！",
        "own": "{salutation}您好，这是管理员自己写的。",
    }

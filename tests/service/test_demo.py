"""Demo scripts: one greeting per hotline number, one pitch per product on air, general ones; once only."""

from __future__ import annotations

from typing import Any

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
    assert render_script(greeting, customer=world.customer, hotline="4008001000", agent=agent) == (
        "王先生您好！欢迎致电湖南卫视购物热线4008001000，我是李娜，很高兴为您服务。请问有什么可以帮您？")
    assert render_script(pitch, customer=world.customer, product=world.product) == (
        "王先生，您刚才在电视上看到的就是我们的颈椎按摩仪。今天热线特价398.00元，全国货到付款，"
        "收到货满意再付款，七天无理由退换。请问您需要订购几套？")
    assert [s.title for s in scripts_for(product_id=world.product.pk, hotline="4008001000")] == [
        "产品介绍 颈椎按摩仪", "开场白 4008001000", "加购推荐", "投诉安抚", "结束语"]

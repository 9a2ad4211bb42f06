"""Scripts: which ones the desk shows for a call, in which order, and how merge fields are filled."""

from __future__ import annotations

import pytest
from django.utils import translation

from hotline.service.demo import GENERAL
from hotline.service.models import Script
from hotline.service.queries import render_script, scripts_for
from tests import factories


def script(title: str, position: int = 0, **fields: object) -> Script:
    return Script.objects.create(title=title, body=title, position=position, **fields)


@pytest.fixture
def library(world):  # type: ignore[no-untyped-def]
    """Scripts for two products, two hotline numbers and general ones, one inactive."""
    other_product = factories.make_product("足浴盆", "298.00")
    other_number = factories.make_hotline("4008002000", world.station)
    script("general late", 1)
    script("general early", 0)
    script("product late", 5, product=world.product)
    script("product early", 1, product=world.product)
    script("other product", 0, product=other_product)
    script("our number", 0, hotline_number=world.hotline)
    script("other number", 0, hotline_number=other_number)
    script("general inactive", 0, active=False)
    script("product on other number", 0, product=world.product, hotline_number=other_number)
    return world


def titles(scripts: list[Script]) -> list[str]:
    return [s.title for s in scripts]


def test_product_scripts_come_first_then_the_dialled_number_then_general_ones(library) -> None:  # type: ignore[no-untyped-def]
    found = scripts_for(product_id=library.product.pk, hotline="+86 400-800-1000")
    assert titles(found) == ["product early", "product late", "our number", "general early", "general late"]


def test_without_a_product_only_number_and_general_scripts(library) -> None:  # type: ignore[no-untyped-def]
    assert titles(scripts_for(product_id=None, hotline="4008001000")) == ["our number", "general early",
                                                                          "general late"]


def test_an_invalid_or_missing_number_is_ignored(library) -> None:  # type: ignore[no-untyped-def]
    assert titles(scripts_for(product_id=None, hotline="not a number")) == ["general early", "general late"]
    assert titles(scripts_for(product_id=None)) == ["general early", "general late"]


def test_a_product_and_number_script_shows_only_on_that_number(library) -> None:  # type: ignore[no-untyped-def]
    found = scripts_for(product_id=library.product.pk, hotline="4008002000")
    assert titles(found) == ["product on other number", "product early", "product late", "other number",
                             "general early", "general late"]


FULL = "{salutation}您好，我是{agent}。{product}只要{price}元，热线{hotline}。{surname}/{name}"


def test_every_field_is_filled_for_a_known_customer(world) -> None:  # type: ignore[no-untyped-def]
    agent = factories.make_user("agent", username="a1")
    agent.first_name = "李娜"
    text = render_script(Script(body=FULL), customer=world.customer, product=world.product,
                         hotline="+86 400 800 1000", agent=agent)
    assert text == "王先生您好，我是李娜。颈椎按摩仪只要398.00元，热线4008001000。王/王小明"


def test_salutation_follows_gender_and_the_agent_falls_back_to_the_user_name(db) -> None:  # type: ignore[no-untyped-def]
    agent = factories.make_user("agent", username="a007")
    madam = factories.make_customer("李红", "13900139000", gender="f")
    unknown = factories.make_customer("赵敏", "13700137000", gender="u")
    body = Script(body="{salutation}，{agent}")
    assert render_script(body, customer=madam, agent=agent) == "李女士，a007"
    assert render_script(body, customer=unknown, agent=agent) == "赵敏，a007"


def test_an_unknown_caller_is_addressed_politely_and_missing_fields_stay_as_typed(db) -> None:  # type: ignore[no-untyped-def]
    text = render_script(Script(body="{salutation}, this is {agent} about {product} at {price} ({name})."))
    assert text == "Sir or Madam, this is {agent} about the product you order at {price} ({name})."


def test_the_cross_sell_script_on_a_call_without_an_aired_product_names_no_placeholder(world) -> None:  # type: ignore[no-untyped-def]
    # given the demo's cross-sell script (a general one) and a call outside any airing: no product
    [(title, body)] = [(title, body) for title, body in GENERAL if title == "加购推荐"]
    # when the pop renders it, for the English screen of a known customer
    with translation.override("en"):
        text = render_script(Script(title=title, body=body), customer=world.customer, product=None)
    # then it reads naturally, in Chinese, with no literal field left
    assert text == ("王先生，今天订购的客户还可以加购我们的热销配套产品，享受热线专属优惠价，"
                    "和您订购的商品一起发货不另收运费。需要我为您介绍一下吗？")


def test_an_unknown_caller_is_addressed_as_nin_in_chinese(db) -> None:  # type: ignore[no-untyped-def]
    with translation.override("zh-hans"):
        assert render_script(Script(body="{salutation}好！")) == "您好！"


def test_a_known_customer_in_chinese(world) -> None:  # type: ignore[no-untyped-def]
    with translation.override("zh-hans"):
        assert render_script(Script(body="{salutation}您好！"), customer=world.customer) == "王先生您好！"


def test_unknown_fields_and_stray_braces_are_left_as_typed(world) -> None:  # type: ignore[no-untyped-def]
    body = "Hi {nickname} {salutation} { {price} }}{ {0} { salutation } {{name}} {"
    text = render_script(Script(body=body), customer=world.customer)
    assert text == "Hi {nickname} 王先生 { {price} }}{ {0} { salutation } {王小明} {"


def test_an_invalid_hotline_is_shown_as_given(db) -> None:  # type: ignore[no-untyped-def]
    assert render_script(Script(body="call {hotline}"), hotline=" 95105 ") == "call 95105"


# ---------------------------------------------------------------- fields that address the caller

ADDRESSING = "{greeting}！{salutation}刚才看到的。{salutation_lead}您需要几套？感谢您的来电{salutation_tail}。"


def test_the_address_fields_of_a_known_caller_in_chinese(world) -> None:  # type: ignore[no-untyped-def]
    with translation.override("zh-hans"):
        text = render_script(Script(body=ADDRESSING), customer=world.customer)
    assert text == "王先生，您好！王先生刚才看到的。王先生，您需要几套？感谢您的来电，王先生。"


def test_the_address_fields_of_an_unknown_caller_in_chinese_read_naturally(db) -> None:  # type: ignore[no-untyped-def]
    with translation.override("zh-hans"):
        text = render_script(Script(body=ADDRESSING))
    assert text == "您好！您刚才看到的。您需要几套？感谢您的来电。"


def test_a_customer_of_unknown_gender_is_addressed_by_full_name(db) -> None:  # type: ignore[no-untyped-def]
    unknown_gender = factories.make_customer("赵敏", "13700137000", gender="u")
    with translation.override("zh-hans"):
        text = render_script(Script(body="{greeting}。{salutation_lead}好的{salutation_tail}。"),
                             customer=unknown_gender)
    assert text == "赵敏，您好。赵敏，好的，赵敏。"


def test_the_address_fields_in_english(world) -> None:  # type: ignore[no-untyped-def]
    body = "{greeting}. {salutation_lead}thanks{salutation_tail}."
    assert render_script(Script(body=body), customer=world.customer) == "Hello, 王先生. 王先生, thanks, 王先生."
    assert render_script(Script(body=body)) == "Hello. thanks."


def test_a_chinese_script_addresses_the_caller_in_chinese_on_an_english_screen(world) -> None:  # type: ignore[no-untyped-def]
    with translation.override("en"):
        assert render_script(Script(body=ADDRESSING), customer=world.customer) == (
            "王先生，您好！王先生刚才看到的。王先生，您需要几套？感谢您的来电，王先生。")
        assert render_script(Script(body=ADDRESSING)) == "您好！您刚才看到的。您需要几套？感谢您的来电。"

"""Test data builders. They write through the models directly: they set up a world, they are not under test."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from hotline.accounts.models import User
from hotline.catalog.models import CrossSell, GiftRule, Product, SaleStatus
from hotline.crm.models import Address, Customer, CustomerPhone
from hotline.lib.phones import phone_info
from hotline.media.models import Airing, HotlineNumber, Station

_seq = itertools.count(1)


def make_user(role: str, username: str | None = None, password: str = "pw-for-tests") -> User:
    user = User(username=username or f"{role}{next(_seq)}", role=role, is_superuser=False)
    user.set_password(password)
    user.save()
    return user


def make_customer(name: str = "王小明", phone: str = "13800138000", gender: str = "m", **fields: object) -> Customer:
    customer = Customer.objects.create(name=name, gender=gender, **fields)
    info = phone_info(phone)
    CustomerPhone.objects.create(customer=customer, number=phone, kind=info.kind, province=info.province,
                                 city=info.city, carrier=info.carrier, is_primary=True)
    Address.objects.create(customer=customer, recipient=name, phone=phone, province="广东", city="深圳",
                           district="南山区", detail="科技园南路18号", raw="广东省深圳市南山区科技园南路18号",
                           is_default=True)
    return customer


def make_product(name: str = "颈椎按摩仪", price: str = "398.00", status: str = SaleStatus.ON_SALE,
                 **fields: object) -> Product:
    n = next(_seq)
    defaults: dict[str, object] = {"sku": f"SKU{n}", "short_code": f"{100 + n}", "points": 10}
    defaults.update(fields)
    return Product.objects.create(name=name, price=Decimal(price), status=status, **defaults)


def make_gift_rule(product: Product, gift: Product, buy: int = 1, get: int = 1, repeat: bool = True) -> GiftRule:
    return GiftRule.objects.create(product=product, gift=gift, buy_quantity=buy, gift_quantity=get, repeat=repeat)


def make_cross_sell(product: Product, suggestion: Product, offer_price: str) -> CrossSell:
    return CrossSell.objects.create(product=product, suggestion=suggestion, offer_price=Decimal(offer_price))


def make_station(code: str = "hunan", name: str = "湖南卫视") -> Station:
    return Station.objects.create(code=code, name=name)


def make_hotline(number: str = "4008001000", station: Station | None = None) -> HotlineNumber:
    return HotlineNumber.objects.create(number=number, station=station)


def make_airing(station: Station, starts_at: datetime.datetime | None = None, length_seconds: int = 120,
                product: Product | None = None, cost: str = "10000.00") -> Airing:
    return Airing.objects.create(station=station, starts_at=starts_at or timezone.now(),
                                 length_seconds=length_seconds, product=product, cost=Decimal(cost))

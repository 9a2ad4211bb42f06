"""What the SMS tests share: the provider settings and customers with a number of their own."""

from __future__ import annotations

from hotline.crm.models import Customer

TEMPLATES = ("order_placed=SMS_100,order_shipped=SMS_200,out_for_delivery=SMS_300,order_status=SMS_400,"
             "care_greeting=SMS_500,generic=SMS_900")


def customer_with(number: str, name: str = "李四", gender: str = "f") -> Customer:
    customer = Customer.objects.create(name=name, gender=gender)
    customer.phones.create(number=number, kind="mobile", is_primary=True)
    return customer

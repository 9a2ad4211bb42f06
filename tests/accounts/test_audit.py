"""The audit log: every write leaves who, what, before and after, with secrets masked."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from hotline.accounts.actions import do_create_api_token, do_create_user, do_delete_object, do_save_object
from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import ApiToken, AuditEntry, User
from hotline.catalog.models import Product
from tests import factories


def test_creating_a_user_masks_the_password(users: dict[str, Any]) -> None:
    user = do_create_user("lina", "s3cret-pass", "agent", actor=users["admin"], first_name="娜")
    entry = AuditEntry.objects.get(action="create_user")
    assert (entry.actor, entry.actor_name, entry.object_type, entry.object_id, entry.object_repr) == (
        users["admin"], "t_admin", "accounts.user", str(user.pk), "lina")
    assert entry.before is None and entry.after is not None
    assert (entry.after["username"], entry.after["role"], entry.after["password"]) == ("lina", "agent", "***")
    assert "s3cret-pass" not in json.dumps(entry.after) and user.password not in json.dumps(entry.after)
    assert user.check_password("s3cret-pass")


def test_an_admin_user_is_a_superuser(users: dict[str, Any]) -> None:
    user = do_create_user("boss", "s3cret-pass", "admin", actor=users["admin"])
    assert (user.is_superuser, user.is_staff) == (True, True)


def test_a_bad_role_is_refused_and_nothing_is_written(users: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    users_before, audit_before = User.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        do_create_user("x", "s3cret-pass", "janitor", actor=users["admin"])
    assert refused.value.message_dict == {"role": ["Value 'janitor' is not a valid choice."]}
    assert (User.objects.count(), AuditEntry.objects.count()) == (users_before, audit_before)


def test_api_tokens_are_stored_and_audited_as_hashes_only(users: dict[str, Any]) -> None:
    token, raw = do_create_api_token(users["agent"], actor=users["admin"], name="softphone")
    assert raw.startswith("hl_") and token.prefix == raw[:8]
    assert ApiToken.objects.get(pk=token.pk).key_hash == ApiToken.hash_key(raw) != raw
    entry = AuditEntry.objects.get(action="create_api_token")
    assert entry.after is not None and entry.after["key_hash"] == "***"
    assert raw not in json.dumps(entry.after) and token.key_hash not in json.dumps(entry.after)


def test_save_records_before_and_after(users: dict[str, Any]) -> None:
    product = factories.make_product("颈椎按摩仪", "398.00")
    product.price = Decimal("450.00")
    do_save_object(product, actor=users["admin"])
    entry = AuditEntry.objects.get(action="change")
    assert entry.before is not None and entry.after is not None
    assert (entry.object_type, entry.before["price"], entry.after["price"]) == ("catalog.product", "398.00", "450.00")
    assert entry.actor == users["admin"]


def test_save_of_a_new_object_is_an_add(users: dict[str, Any]) -> None:
    product = Product(sku="S1", name="足浴盆", short_code="900", price=Decimal("299.00"))
    do_save_object(product, actor=users["admin"])
    entry = AuditEntry.objects.get(action="add")
    assert entry.before is None and entry.after is not None and entry.after["name"] == "足浴盆"


def test_save_of_an_invalid_object_writes_nothing(users: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    product = factories.make_product("颈椎按摩仪", "398.00")
    product.price = Decimal("0")
    with pytest.raises(ValidationError):
        do_save_object(product, actor=users["admin"])
    assert Product.objects.get(pk=product.pk).price == Decimal("398.00")
    assert AuditEntry.objects.count() == 0


def test_delete_keeps_the_last_state(users: dict[str, Any]) -> None:
    product = factories.make_product("颈椎按摩仪", "398.00")
    pk = product.pk
    do_delete_object(product, actor=users["admin"])
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.object_id, entry.after) == (str(pk), None)
    assert entry.before is not None and entry.before["name"] == "颈椎按摩仪"
    assert not Product.objects.filter(pk=pk).exists()


def test_writes_without_actor_are_by_the_system(db: Any) -> None:
    product = factories.make_product()
    entry = record("import", product, actor=None, after=snapshot(product))
    assert (entry.actor, entry.actor_name) == (None, "system")


def test_snapshot_masks_every_secret_field(db: Any) -> None:
    user = factories.make_user("agent")
    customer = factories.make_customer()
    customer.pin_hash = "pbkdf2_sha256$..."
    assert snapshot(user)["password"] == "***"
    assert snapshot(customer)["pin_hash"] == "***"
    customer.pin_hash = ""
    assert snapshot(customer)["pin_hash"] == ""
    json.dumps(snapshot(customer))  # dates, decimals: all JSON-safe


def test_the_entry_reads_as_a_sentence(users: dict[str, Any]) -> None:
    product = factories.make_product("颈椎按摩仪", "398.00")
    entry = record("change", product, actor=users["admin"])
    assert str(entry).endswith(f"t_admin change {product}")


def test_save_of_oversized_text_writes_nothing(users: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    product = factories.make_product("颈椎按摩仪", "398.00")
    product.description = "好" * 5001
    with pytest.raises(ValidationError) as refused:
        do_save_object(product, actor=users["admin"])
    assert refused.value.message_dict == {"description": ["At most 5000 characters."]}
    assert (Product.objects.get(pk=product.pk).description, AuditEntry.objects.count()) == ("", 0)


def test_an_uploaded_file_is_audited_by_its_stored_name(users: dict[str, Any]) -> None:
    from hotline.accounts.audit import snapshot
    from hotline.ivrdata.models import IvrPrompt

    prompt = IvrPrompt(name="welcome")
    prompt.file.name = "ivr/prompts/welcome.wav"
    assert snapshot(prompt)["file"] == "ivr/prompts/welcome.wav"
    assert snapshot(IvrPrompt(name="empty"))["file"] == ""

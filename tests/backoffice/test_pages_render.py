"""Every back-office page renders in Chinese (the default language) as well as in English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from tests.backoffice.helpers import admin_url


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_screen_renders(language: str, users: dict[str, Any], things: dict[str, int]) -> None:
    client = Client(headers={"accept-language": language})
    client.force_login(users["admin"])
    urls = ["/admin/", *(admin_url(screen) for screen in things),
            *(admin_url(screen, "change", pk) for screen, pk in things.items()),
            *(admin_url(screen, "import") for screen in ("crm/customer", "catalog/product", "media/airing")),
            admin_url("orders/order", "transition", things["orders/order"], "cancelled"),
            admin_url("crm/customer", "add"), admin_url("accounts/user", "add")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == language


def test_password_change_is_audited(users: dict[str, Any]) -> None:
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["admin"])
    target = users["finance"]
    response = client.post(f"/admin/accounts/user/{target.pk}/password/",
                           {"password1": "another-long-pass-7", "password2": "another-long-pass-7",
                            "usable_password": "true"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("another-long-pass-7")
    entry = AuditEntry.objects.get(action="change_password")
    assert (entry.actor, entry.object_id) == (users["admin"], str(target.pk))

"""The screens menu on every screen: each role finds its daily screens from any other, and only those."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

EVERY_LINK = ["/desk/", "/wallboard/", "/kb/", "/service/complaints/", "/voicemail/", "/blacklist/", "/care/",
              "/campaigns/", "/notify/", "/logistics/", "/finance/", "/reports/", "/admin/"]


def menu_of(user: Any, page: str) -> list[str]:
    client = Client()
    client.force_login(user)
    html = client.get(page).content.decode()
    menu = html[html.index('<details class="screens-menu">'):html.index("</details>")]
    return re.findall(r'<a href="([^"]+)"', menu)


@pytest.mark.parametrize(("role", "page", "links"), [
    ("agent", "/desk/", ["/desk/", "/kb/", "/service/complaints/", "/voicemail/", "/care/"]),
    ("supervisor", "/wallboard/", ["/desk/", "/wallboard/", "/kb/", "/service/complaints/", "/voicemail/",
                                   "/blacklist/", "/care/", "/campaigns/", "/notify/", "/logistics/", "/reports/",
                                   "/admin/"]),
    ("logistics", "/logistics/", ["/kb/", "/notify/", "/logistics/", "/admin/"]),
    ("finance", "/finance/", ["/kb/", "/logistics/", "/finance/", "/reports/", "/admin/"]),
])
def test_each_role_sees_the_screens_it_may_open(users: dict[str, Any], role: str, page: str, links: list[str]) -> None:
    assert menu_of(users[role], page) == links
    assert set(links) <= set(EVERY_LINK)

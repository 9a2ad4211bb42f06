"""/reports/custom/: the builder (200 with the table, 400 with the translated error), Excel, saving and
sharing, who may open, edit and delete (403 for others), bad input saves nothing; the validation messages."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from hotline.reports.custom import validate
from hotline.reports.models import SavedReport
from tests import factories
from tests.reports.custom_world import DAY, build_world

pytestmark = pytest.mark.django_db

URL = "/reports/custom/"
ONE_DAY = {"period": "custom", "from": DAY.isoformat(), "to": DAY.isoformat()}


@pytest.fixture
def w(db: Any, english: Any) -> Any:
    return build_world()


def client_for(role: str, username: str, email: str = "") -> tuple[Client, Any]:
    user = factories.make_user(role, username=username)
    if email:
        user.email = email
        user.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client, user


def csrf(client: Client) -> str:
    client.get(URL)
    return str(client.cookies["csrftoken"].value)


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, {**data, "csrfmiddlewaretoken": csrf(client)})


SAVE: dict[str, Any] = {"source": "calls", "dim": ["station"], "measure": ["calls", "answered"], "period": "yesterday"}


def test_the_builder_shows_the_table_and_the_chart(w: Any) -> None:
    client, _user = client_for("supervisor", "sup")
    answer = client.get(URL, {"source": "calls", "dim": "station", "measure": ["calls", "answered"], **ONE_DAY})
    assert answer.status_code == 200
    table = answer.context["tables"][0]
    assert [(row["d_station"], row["calls"], row["answered"]) for row in table.rows] == [
        ("湖南卫视", 3, 1), ("浙江卫视", 3, 0), ("(none)", 1, 1)]
    assert answer.context["charts"][0].x == ["湖南卫视", "浙江卫视", "(none)"]
    assert 'data-drill="calls"' in answer.content.decode()


def test_the_builder_exports_excel_with_the_screen_s_numbers(w: Any) -> None:
    client, _user = client_for("manager", "boss")
    answer = client.get(URL, {"source": "orders", "dim": "station", "measure": ["orders", "revenue"],
                              "format": "xlsx", **ONE_DAY})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = values.index(["Station", "Orders", "Revenue"])
    assert values[header + 1: header + 5] == [["湖南卫视", 1, 796], ["浙江卫视", 1, 99], ["(none)", 1, 398],
                                             ["Total", 3, 1293]]
    pdf = client.get(URL, {"source": "orders", "dim": "station", "measure": "orders", "format": "pdf", **ONE_DAY})
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:4]) == (200, "application/pdf", b"%PDF")


@pytest.mark.parametrize(("params", "message"), [
    ({"source": "calls", "measure": "nope"}, "Unknown measure: nope"),
    ({"source": "calls", "dim": "colour", "measure": "calls"}, "Unknown dimension: colour"),
    ({"source": "weather", "measure": "calls"}, "Unknown source: weather"),
    ({"source": "calls", "run": "1"}, "Pick at least one measure."),
    ({"source": "calls", "dim": ["day", "station", "queue", "agent"], "measure": "calls"},
     "A custom report groups by at most 3 dimensions."),
    ({"source": "calls", "measure": "calls", "f_colour": "red"}, "Unknown filter: colour"),
    ({"source": "calls", "measure": "calls", "f_station": "abc"}, "Station: unknown value abc"),
    ({"source": "calls", "measure": "calls", "f_outcome": "maybe"}, "Outcome: unknown value maybe"),
    ({"source": "calls", "measure": "calls", "colour": "red"}, "Unknown filter: colour"),
    ({"source": "calls", "measure": "calls", "period": "custom", "from": "2026-11-24", "to": "2026-11-01"},
     "The period ends (2026-11-01) before it starts (2026-11-24): swap the dates."),
])
def test_bad_input_is_a_400_with_the_message(w: Any, params: dict[str, Any], message: str) -> None:
    client, _user = client_for("supervisor", "sup")
    answer = client.get(URL, params)
    assert answer.status_code == 400
    assert answer.context["error"] == message
    assert message.replace("'", "&#x27;") in answer.content.decode()


def test_validation_messages_in_chinese() -> None:
    with translation.override("zh-hans"):
        for definition, message in [
            ({"source": "calls", "measures": ["nope"]}, "未知的指标：nope"),
            ({"source": "calls", "dimensions": ["colour"], "measures": ["calls"]}, "未知的维度：colour"),
            ({"source": "weather", "measures": ["calls"]}, "未知的数据源：weather"),
        ]:
            with pytest.raises(ValidationError) as raised:
                validate(definition)
            assert raised.value.messages == [message]


def test_save_share_open_edit_delete(w: Any) -> None:
    owner_client, owner = client_for("manager", "boss", "boss@example.test")
    other_client, _other = client_for("supervisor", "sup", "sup@example.test")
    answer = post(owner_client, "/reports/custom/save/", {**SAVE, "name": "By station", "email_daily": "1",
                                                           "recipients": [owner.pk], "send_at": "06:30"})
    assert answer.status_code == 302
    report = SavedReport.objects.get()
    assert answer["Location"] == f"/reports/custom/{report.pk}/"
    assert (report.owner, report.name, report.shared, report.email_daily, report.send_at) == (
        owner, "By station", False, True, datetime.time(6, 30))
    assert report.definition == {"source": "calls", "dimensions": ["station"], "measures": ["calls", "answered"],
                                 "filters": {}, "period": {"period": "yesterday"}}
    assert list(report.recipients.all()) == [owner]

    opened = owner_client.get(f"/reports/custom/{report.pk}/", ONE_DAY)
    assert opened.status_code == 200
    assert opened.context["tables"][0].totals["calls"] == 7
    assert other_client.get(f"/reports/custom/{report.pk}/").status_code == 403  # not shared
    assert "By station" in owner_client.get(URL).content.decode()

    form = owner_client.get(f"/reports/custom/{report.pk}/edit/", follow=True)
    assert form.status_code == 200
    assert form.context["tables"][0].columns[0].key == "d_station"  # the saved definition, run
    assert f'action="/reports/custom/{report.pk}/edit/"' in form.content.decode()
    assert 'value="06:30"' in form.content.decode()
    edited = post(owner_client, f"/reports/custom/{report.pk}/edit/", {
        **SAVE, "measure": ["calls"], "name": "By station", "shared": "1"})
    assert edited.status_code == 302
    report.refresh_from_db()
    assert (report.shared, report.email_daily, report.definition["measures"]) == (True, False, ["calls"])
    assert other_client.get(f"/reports/custom/{report.pk}/", ONE_DAY).status_code == 200  # shared now
    assert f'data-saved="{report.pk}"' in other_client.get(URL).content.decode()

    assert post(other_client, f"/reports/custom/{report.pk}/edit/", {**SAVE, "name": "Mine now"}).status_code == 403
    assert other_client.get(f"/reports/custom/{report.pk}/edit/").status_code == 403
    assert other_client.get(URL, {"edit": str(report.pk), "source": "calls", "measure": "calls"}).status_code == 403
    assert post(other_client, f"/reports/custom/{report.pk}/delete/", {}).status_code == 403
    assert SavedReport.objects.get().name == "By station"

    assert post(owner_client, f"/reports/custom/{report.pk}/delete/", {}).status_code == 302
    assert not SavedReport.objects.exists()


def test_saving_bad_input_saves_nothing(w: Any) -> None:
    client, _owner = client_for("manager", "boss", "boss@example.test")
    agent = factories.make_user("agent", username="ag")
    agent.email = "ag@example.test"
    agent.save()
    _client, no_address = client_for("supervisor", "sup")
    cases: list[tuple[dict[str, Any], str]] = [
        ({**SAVE, "measure": ["nope"], "name": "x"}, "Unknown measure: nope"),
        ({**SAVE, "name": "x", "email_daily": "1", "recipients": [agent.pk]}, "ag may not see reports, so cannot "
                                                                              "receive them."),
        ({**SAVE, "name": "x", "email_daily": "1", "recipients": [no_address.pk]}, "sup has no e-mail address."),
        ({**SAVE, "name": "x", "email_daily": "1"}, "Choose at least one recipient for the daily e-mail."),
    ]
    for data, message in cases:
        answer = post(client, "/reports/custom/save/", data)
        assert (answer.status_code, answer.context["error"]) == (400, message)
    post(client, "/reports/custom/save/", {**SAVE, "name": "x"})
    again = post(client, "/reports/custom/save/", {**SAVE, "name": "x"})
    assert (again.status_code, again.context["error"]) == (400, "You already have a report called x.")
    assert SavedReport.objects.count() == 1


def test_posts_need_the_csrf_token(w: Any) -> None:
    client, _user = client_for("manager", "boss")
    assert client.post("/reports/custom/save/", {**SAVE, "name": "x"}).status_code == 403
    assert not SavedReport.objects.exists()


def test_only_report_users_get_in(w: Any) -> None:
    client, _user = client_for("agent", "ag")
    assert client.get(URL).status_code == 403
    assert Client().get(URL).status_code == 302  # to the sign-in page

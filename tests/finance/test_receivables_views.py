"""The receivables tab: who may see it, the figures and links it shows, the drill-down and the Excel file."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from hotline.finance.actions.payments import do_record_payment
from tests import factories
from tests.finance.world import build_finance_world

pytestmark = pytest.mark.django_db

D = Decimal
URLS = ["finance:receivables", "finance:receivables-parcels", "finance:receivables-export"]


def days_ago(days: int) -> datetime.datetime:
    """Noon in Shanghai `days` days before today."""
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0) - datetime.timedelta(days=days)


@pytest.fixture
def client():
    """A browser that asks for English (the demo's default is Chinese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def fw():
    """EMS: ¥796 delivered 3 days ago with ¥100.50 paid, ¥796 delivered 70 days ago; ZTO: ¥796 20 days ago."""
    fw = build_finance_world()
    fw.recent = fw.delivered(fw.w.ems, at=days_ago(3))
    do_record_payment(fw.recent.order, method="cod", amount="100.50", actor=fw.finance)
    fw.old = fw.delivered(fw.w.ems, at=days_ago(70))
    fw.zto_parcel = fw.delivered(fw.w.zto, at=days_ago(20))
    return fw


@pytest.mark.parametrize("name", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_agents_and_logistics_may_not_see_the_receivables(client, name, role):
    client.force_login(factories.make_user(role))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("role", ["finance", "manager"])
def test_finance_and_managers_see_the_receivables(client, name, role):
    client.force_login(factories.make_user(role))
    assert client.get(reverse(name)).status_code == 200


def test_the_tab_shows_each_courier_by_age_with_links_to_its_parcels_and_the_chart_data(client, fw):
    # given a finance clerk
    client.force_login(fw.finance)
    # when
    response = client.get(reverse("finance:receivables"))
    # then EMS owes ¥695.50 (0–7 days) + ¥796.00 (over 60), ZTO ¥796.00 (16–30): ¥2,287.50 in all
    page = response.content.decode()
    assert '<b id="receivables-total">¥2,287.50</b>' in page
    figures = response.context["figures"]
    assert [(row.courier, [f.amount for f in row.buckets], row.total) for row in figures.rows] == [
        ("EMS", [D("695.50"), 0, 0, 0, D("796.00")], D("1491.50")),
        ("ZTO", [0, 0, D("796.00"), 0, 0], D("796.00"))]
    today = timezone.localdate().isoformat()
    link = f'{reverse("finance:receivables-parcels")}?as_of={today}&amp;courier={fw.w.ems.pk}&amp;bucket=61+'
    assert f'<a href="{link}"' in page
    chart = json.loads(page.split('<script id="receivables-data" type="application/json">')[1].split("</script>")[0])
    assert chart["couriers"] == ["EMS", "ZTO"]
    assert [bucket["amounts"] for bucket in chart["buckets"]] == [
        ["695.50", "0.00"], ["0.00", "0.00"], ["0.00", "796.00"], ["0.00", "0.00"], ["796.00", "0.00"]]
    assert (len(chart["trend"]["total"]), chart["trend"]["total"][-1], chart["trend"]["total"][0]) == (
        30, "2287.50", None)


def test_the_drill_down_lists_the_parcels_of_one_courier_and_age(client, fw):
    client.force_login(fw.manager)
    response = client.get(reverse("finance:receivables-parcels"), {"courier": fw.w.ems.pk, "bucket": "0-7"})
    assert response.status_code == 200
    [row] = response.context["page_obj"].object_list
    assert (row.order_number, row.courier, row.days, row.due, row.paid, row.outstanding) == (
        fw.recent.order.number, "EMS", 3, D("796.00"), D("100.50"), D("695.50"))
    everything = client.get(reverse("finance:receivables-parcels"))
    assert [row.order_number for row in everything.context["page_obj"].object_list] == [
        fw.old.order.number, fw.zto_parcel.order.number, fw.recent.order.number]


@pytest.mark.parametrize("name", ["finance:receivables-parcels", "finance:receivables-export"])
@pytest.mark.parametrize("query", [{"bucket": "90+"}, {"courier": "999999"}, {"as_of": "next week"}])
def test_a_bad_filter_is_answered_with_a_clear_error(client, fw, name, query):
    client.force_login(fw.finance)
    response = client.get(reverse(name), query)
    assert response.status_code == 400
    [errors] = response.context["form"].errors.values()
    assert errors[0].startswith(("Choose", "Enter"))


def test_a_day_still_to_come_is_refused(client, fw):
    client.force_login(fw.finance)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.get(reverse("finance:receivables"), {"as_of": tomorrow.isoformat()})
    assert response.status_code == 400
    assert response.context["form"].errors["as_of"] == [
        "Receivables cannot be counted for a day still to come: choose today or an earlier day."]


def test_the_excel_file_holds_the_summary_and_the_filtered_parcels(client, fw):
    # given
    client.force_login(fw.finance)
    # when EMS's parcels are exported
    response = client.get(reverse("finance:receivables-export"), {"courier": fw.w.ems.pk})
    # then
    today = timezone.localdate().isoformat()
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="receivables-{today}-ems.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    summary, parcels = workbook.worksheets
    rows = [list(row) for row in summary.iter_rows(values_only=True)]
    assert rows[0][0] == f"Receivables on {today}"
    assert rows[1] == ["Courier", "Parcels", "0–7 days", "8–15 days", "16–30 days", "31–60 days", "Over 60 days",
                       "Total"]
    assert [[cell if not isinstance(cell, float) else D(str(cell)) for cell in row] for row in rows[2:]] == [
        ["EMS", 2, D("695.5"), 0, 0, 0, 796, D("1491.5")],
        ["ZTO", 1, 0, 0, 796, 0, 0, 796],
        ["Total", 3, D("695.5"), 0, 796, 0, 796, D("2287.5")]]
    lines = [list(row) for row in parcels.iter_rows(values_only=True)]
    assert lines[0] == ["Order number", "Customer", "Courier", "Tracking number", "Delivered at", "Days", "COD due",
                        "Paid", "Outstanding"]
    assert [(line[0], line[2], line[3], line[5], line[6], line[7], line[8]) for line in lines[1:]] == [
        (fw.old.order.number, "EMS", fw.old.tracking_number, 70, 796, 0, 796),
        (fw.recent.order.number, "EMS", fw.recent.tracking_number, 3, 796, 100.5, 695.5)]
    assert lines[2][1] == "王小明"
    assert lines[2][4] == days_ago(3).replace(tzinfo=None)


def test_htmx_asks_for_the_parcels_table_alone(client, fw):
    client.force_login(fw.finance)
    response = client.get(reverse("finance:receivables-parcels"), {"bucket": "61+"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert fw.old.order.number in page and fw.recent.order.number not in page
    assert 'class="tabs"' not in page

"""待发货 / 分检 Batches through the test client: parcels waiting per courier, one batch per courier, and the
batch's documents as PDF (shown or downloaded), each print logged and a second one marked a reprint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotline.logistics.models import BatchStatus, DispatchBatch, PrintLog, Shipment
from hotline.logistics.views.documents import pdf_pages
from tests.logistics.factories import make_batch, make_courier, make_order, make_parcel, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def clerk(users: dict[str, Any]) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["logistics"])
    return client


def shelf(world: Any) -> tuple[Any, list[Shipment]]:
    """Three parcels waiting: two for the world's courier, one for EMS."""
    ems = make_courier("EMS", "ems", code="ems")
    parcels = [make_parcel(world.order, world.courier)]
    for number, courier in (("L0000002", world.courier), ("L0000003", ems)):
        order = make_order(world.customer, (world.product, 2), number=number, recipient_phone=f"1390000{number[-4:]}")
        parcels.append(make_parcel(order, courier))
    return ems, parcels


def test_parcels_waiting_are_counted_per_courier(users: dict[str, Any]) -> None:
    world = make_world()
    shelf(world)
    response = clerk(users).get("/logistics/batches/")
    assert response.context["waiting"] == [{"courier__name": "顺丰速运", "parcels": 2},
                                           {"courier__name": "EMS", "parcels": 1}]
    assert response.context["waiting_total"] == 3


def test_batching_makes_one_batch_per_courier(users: dict[str, Any]) -> None:
    world = make_world()
    shelf(world)
    client = clerk(users)

    response = client.post("/logistics/batches/create")

    assert (response.status_code, response["Location"]) == (302, "/logistics/batches/")
    batches = {batch.courier.name: batch for batch in DispatchBatch.objects.select_related("courier")}
    assert sorted(batches) == ["EMS", "顺丰速运"]
    assert sorted(Shipment.objects.filter(batch=batches["顺丰速运"]).values_list("order__number", flat=True)) == [
        "L0000001", "L0000002"]
    page = client.get("/logistics/batches/")
    assert [str(message) for message in page.context["messages"]] == [
        f"2 batches created: {batches['顺丰速运'].number}、{batches['EMS'].number}."]
    assert page.context["waiting"] == []
    assert [(batch.courier.name, batch.parcels, batch.waiting) for batch in page.context["batches"]] == [
        ("EMS", 1, 1), ("顺丰速运", 2, 2)]


def test_batching_with_nothing_waiting_says_so(users: dict[str, Any]) -> None:
    make_world()
    client = clerk(users)
    client.post("/logistics/batches/create")
    assert [str(m) for m in client.get("/logistics/batches/").context["messages"]] == [
        "No parcel is waiting for a batch."]
    assert DispatchBatch.objects.count() == 0


@pytest.mark.parametrize(("kind", "pages"), [("forms", 2), ("packing", 2), ("pick", 1)])
def test_printing_a_batch_gives_its_pdf_and_logs_it(users: dict[str, Any], kind: str, pages: int) -> None:
    world = make_world()
    _ems, parcels = shelf(world)
    batch = make_batch(world.courier, *parcels[:2], number="B-SF-01")

    response = clerk(users).post(f"/logistics/batches/{batch.pk}/print/{kind}")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == f'inline; filename="B-SF-01-{kind}.pdf"'
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    assert response.content.startswith(b"%PDF")
    assert pdf_pages(response.content) == pages
    assert list(PrintLog.objects.values_list("kind", "pages", "reprint", "actor__username")) == [
        (kind, pages, False, "t_logistics")]


def test_forms_printed_mark_the_batch_printed_and_a_second_print_is_a_reprint(users: dict[str, Any]) -> None:
    world = make_world()
    _ems, parcels = shelf(world)
    batch = make_batch(world.courier, *parcels[:2], number="B-SF-01")
    client = clerk(users)

    client.post(f"/logistics/batches/{batch.pk}/print/forms")
    again = client.post(f"/logistics/batches/{batch.pk}/print/forms", {"download": "1"})

    assert again["Content-Disposition"] == 'attachment; filename="B-SF-01-forms.pdf"'
    assert list(PrintLog.objects.order_by("id").values_list("reprint", flat=True)) == [False, True]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PRINTED
    shown = client.get("/logistics/batches/").context["batches"][0]
    assert shown.documents == [("forms", "Shipping forms", 2), ("pick", "Pick list", 0),
                               ("packing", "Packing lists", 0)]
    assert b"printed \xc3\x972" in client.get("/logistics/batches/").content


def test_an_unknown_document_is_404_and_logs_nothing(users: dict[str, Any]) -> None:
    world = make_world()
    batch = make_batch(world.courier, make_parcel(world.order, world.courier))
    assert clerk(users).post(f"/logistics/batches/{batch.pk}/print/poster").status_code == 404
    assert clerk(users).post("/logistics/batches/999/print/forms").status_code == 404
    assert PrintLog.objects.count() == 0


def test_an_empty_batch_prints_nothing_and_says_why(users: dict[str, Any]) -> None:
    world = make_world()
    batch = make_batch(world.courier)
    client = clerk(users)
    response = client.post(f"/logistics/batches/{batch.pk}/print/forms")
    assert (response.status_code, response["Location"]) == (302, "/logistics/batches/")
    assert [str(m) for m in client.get("/logistics/batches/").context["messages"]] == [
        "Nothing to print: there are no parcels."]
    assert PrintLog.objects.count() == 0


# ---------------------------------------------------------------- big batches print on the task worker

@pytest.fixture
def small_inline(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> None:
    """Batches over one parcel count as big; stored PDFs go to a temporary folder."""
    monkeypatch.setattr("hotline.logistics.views.batches.INLINE_MAX", 1)
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.mark.usefixtures("small_inline")
def test_a_big_batch_prints_as_a_job_with_its_pdf_to_download(users: dict[str, Any]) -> None:
    from hotline.jobs.models import Job

    world = make_world()
    _ems, parcels = shelf(world)
    batch = make_batch(world.courier, *parcels[:2], number="B-SF-01")
    client = clerk(users)

    started = client.post(f"/logistics/batches/{batch.pk}/print/forms", {"download": "1"})

    job = Job.objects.get()
    assert (started.status_code, started["Location"]) == (302, f"/logistics/prints/{job.pk}/")
    assert (job.kind, job.status, job.payload) == ("logistics.print", "done",
                                                   {"batch": batch.pk, "kind": "forms", "download": True})
    result = job.result or {}
    assert (result["pages"], result["summary"]) == (2, "2 pages ready: Shipping forms of batch B-SF-01.")
    assert (job.done, job.total) == (2, 2)
    page = client.get(f"/logistics/prints/{job.pk}/")
    assert f'href="/logistics/prints/{job.pk}/pdf?download=1"' in page.content.decode()
    pdf = client.get(f"/logistics/prints/{job.pk}/pdf?download=1")
    assert pdf["Content-Disposition"] == f'attachment; filename="B-SF-01-forms-job{job.pk}.pdf"'
    assert (pdf.content[:5], pdf_pages(pdf.content)) == (b"%PDF-", 2)
    assert list(PrintLog.objects.values_list("kind", "pages", "actor__username")) == [("forms", 2, "t_logistics")]


@pytest.mark.usefixtures("small_inline")
def test_a_print_job_is_for_the_workbench_only(users: dict[str, Any]) -> None:
    from hotline.jobs.models import Job

    world = make_world()
    _ems, parcels = shelf(world)
    batch = make_batch(world.courier, *parcels[:2])
    clerk(users).post(f"/logistics/batches/{batch.pk}/print/pick")
    job = Job.objects.get()
    agent = Client()
    agent.force_login(users["agent"])
    assert agent.get(f"/logistics/prints/{job.pk}/pdf").status_code == 403
    assert clerk(users).get("/logistics/prints/999/").status_code == 404

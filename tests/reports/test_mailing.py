"""The daily report e-mail through a real SMTP server (aiosmtpd on 127.0.0.1): who gets it, what is
attached (the Excel holds run()'s numbers, the PDF is a PDF), once a day, not before send_at, again the
next day; and the periodic scheduler the task worker runs it on."""

from __future__ import annotations

import datetime
import email
import email.policy
import io
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from hotline.jobs import periodic
from hotline.reports import custom
from hotline.reports.mailing import send_due_reports
from hotline.reports.models import SavedReport
from hotline.reports.periods import parse_period
from hotline.reports.tables import cell_number
from tests import factories
from tests.reports.custom_world import DAY, at, build_world

pytestmark = pytest.mark.django_db

NEXT = DAY + datetime.timedelta(days=1)  # the report goes out the morning after DAY, covering DAY
DEFINITION = {"source": "calls", "dimensions": ["station"], "measures": ["calls", "answered", "talk"],
              "filters": {}, "period": {"period": "yesterday"}}


class Collect:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Collect]:
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.DEFAULT_FROM_EMAIL = "hotline@example.test"
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def report(db: Any, english: Any) -> SavedReport:
    build_world()
    owner = factories.make_user("manager", username="boss")
    owner.email = "boss@example.test"
    owner.save()
    supervisor = factories.make_user("supervisor", username="sup")
    supervisor.email = "sup@example.test"
    supervisor.save()
    saved = SavedReport.objects.create(name="Calls by station", owner=owner, definition=DEFINITION, email_daily=True)
    saved.recipients.set([owner, supervisor])
    return saved


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_sent_once_a_day_at_send_at_with_pdf_and_excel(smtp: Collect, report: SavedReport) -> None:
    assert send_due_reports(at(6, 59, NEXT)) == []  # before 07:00 local
    assert smtp.messages == []

    assert send_due_reports(at(7, 0, NEXT)) == [report.pk]
    assert send_due_reports(at(7, 1, NEXT)) == []  # once a day
    assert len(smtp.messages) == 1
    sender, recipients, raw = smtp.messages[0]
    assert (sender, sorted(recipients)) == ("hotline@example.test", ["boss@example.test", "sup@example.test"])
    message = parsed(raw)
    assert message["Subject"] == f"Daily report: Calls by station, {DAY.isoformat()}"
    body = message.get_body(("plain",))
    assert body is not None and "3 rows, attached as PDF and Excel" in body.get_content()
    files: dict[str, bytes] = {str(part.get_filename()): bytes(part.get_payload(decode=True))  # type: ignore[arg-type]
                               for part in message.iter_attachments()}
    base = f"report-{report.pk}-{DAY.isoformat()}"
    assert sorted(files) == [f"{base}.pdf", f"{base}.xlsx"]
    assert files[f"{base}.pdf"].startswith(b"%PDF")

    expected = custom.run(DEFINITION, parse_period({"period": "custom", "from": DAY.isoformat()}))
    sheet = load_workbook(io.BytesIO(files[f"{base}.xlsx"])).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = values.index(["Station", "Calls", "Answered", "Talk time (s)"])
    shown = [row[:4] for row in values[header + 1: header + 1 + len(expected.rows) + 1]]
    assert shown == [[cell_number(row.get(c.key), c.kind) for c in expected.columns]
                     for row in [*expected.rows, expected.totals or {}]]
    assert shown[0] == ["湖南卫视", 3, 1, 60] and shown[-1] == ["Total", 7, 2, 150.5]

    report.refresh_from_db()
    assert report.last_sent_on == NEXT
    after = NEXT + datetime.timedelta(days=1)
    assert send_due_reports(at(6, 0, after)) == []
    assert send_due_reports(at(9, 30, after)) == [report.pk]  # the next day, at the first tick after send_at
    assert len(smtp.messages) == 2
    assert parsed(smtp.messages[1][2])["Subject"] == f"Daily report: Calls by station, {NEXT.isoformat()}"


def test_its_own_send_at_and_only_recipients_who_may_see_reports(smtp: Collect, report: SavedReport) -> None:
    report.send_at = datetime.time(18, 30)
    report.save()
    supervisor = report.recipients.get(username="sup")
    supervisor.role = "agent"  # lost the right to see reports since being chosen
    supervisor.save()
    assert send_due_reports(at(18, 29, NEXT)) == []
    assert send_due_reports(at(18, 30, NEXT)) == [report.pk]
    assert [recipients for _sender, recipients, _raw in smtp.messages] == [["boss@example.test"]]


def test_not_sent_when_switched_off_and_not_marked_when_sending_fails(smtp: Collect, report: SavedReport,
                                                                       settings: Any) -> None:
    SavedReport.objects.filter(pk=report.pk).update(email_daily=False)
    assert send_due_reports(at(8, 0, NEXT)) == []
    SavedReport.objects.filter(pk=report.pk).update(email_daily=True)
    settings.EMAIL_PORT = free_port()  # nobody listens there: the send fails, the claim is rolled back
    assert send_due_reports(at(8, 0, NEXT)) == []
    report.refresh_from_db()
    assert report.last_sent_on is None
    settings.EMAIL_PORT = smtp.port
    assert send_due_reports(at(8, 1, NEXT)) == [report.pk]
    assert len(smtp.messages) == 1


@pytest.fixture
def only_test_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The apps' own periodic functions (registered when they start) put aside for the test, and back after it."""
    monkeypatch.setattr(periodic, "_registered", {})


@pytest.mark.usefixtures("only_test_functions")
def test_a_periodic_tick_calls_every_function_and_survives_a_failure() -> None:
    seen: list[datetime.datetime] = []

    def boom(now: datetime.datetime) -> None:
        raise RuntimeError("broken")

    periodic.register("tests.boom", boom)
    periodic.register("tests.seen", seen.append)
    outcome = periodic.tick(at(7, 0, NEXT))
    assert outcome == {"hotline.reports.mailing.send_due_reports": "ok", "tests.boom": "RuntimeError('broken')",
                       "tests.seen": "ok"}
    assert seen == [at(7, 0, NEXT)]


@pytest.mark.usefixtures("only_test_functions")
def test_the_scheduler_thread_ticks_until_stopped() -> None:
    import threading

    called = threading.Event()
    periodic.register("tests.called", lambda now: called.set())
    scheduler = periodic.Scheduler(interval=3600)
    try:
        scheduler.start()
        assert called.wait(30)  # the first tick comes at once
    finally:
        scheduler.stop()
    assert scheduler._thread is not None and not scheduler._thread.is_alive()


def test_the_task_worker_runs_the_scheduler() -> None:
    from hotline.jobs.worker import JobWorker

    assert isinstance(JobWorker(backend="database").scheduler, periodic.Scheduler)
    assert JobWorker(backend="database", periodic=False).scheduler is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_it_once(smtp: Collect, english: Any) -> None:
    from tests.finance.world import in_two_threads

    build_world()
    owner = factories.make_user("manager", username="boss")
    owner.email = "boss@example.test"
    owner.save()
    saved = SavedReport.objects.create(name="Calls", owner=owner, definition=DEFINITION, email_daily=True)
    saved.recipients.set([owner])
    outcomes = in_two_threads(lambda index: send_due_reports(at(7, 0, NEXT)))
    assert sorted(outcomes, key=len) == [[], [saved.pk]]
    assert len(smtp.messages) == 1
    saved.refresh_from_db()
    assert saved.last_sent_on == NEXT

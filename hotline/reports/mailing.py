"""The daily e-mail of saved custom reports: each report with `email_daily` goes out once a day, at its
`send_at` local time (07:00 when unset) or at the first tick after it, covering yesterday, with the PDF and
the Excel workbook attached, to its recipients — Hotline users who may see reports and have an e-mail
address (checked again at sending: someone who lost the role gets nothing).

`send_due_reports(now)` runs on the task worker every minute (hotline/jobs/periodic.py). "Once a day":
a report is claimed by setting `last_sent_on` to today with a conditional UPDATE, in the same transaction
that locks its row (SELECT … FOR UPDATE on PostgreSQL) and sends the message; a second worker waits for
the lock and then finds the report sent, and a message that fails to send rolls the claim back, so the
next tick tries again. Uses Django's e-mail backend (EMAIL_HOST, EMAIL_PORT…); nothing is sent while
EMAIL_HOST is unset and the backend is SMTP (a warning is logged instead).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm
from hotline.reports import custom, exports
from hotline.reports.models import SavedReport
from hotline.reports.periods import Period, parse_period

log = logging.getLogger(__name__)

DEFAULT_SEND_AT = datetime.time(7, 0)
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SMTP_TIMEOUT = 60  # seconds, unless settings.EMAIL_TIMEOUT says otherwise
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def recipient_problem(user: Any) -> str | None:
    """Why `user` may not receive report e-mails (translated), or None when they may."""
    if not user.is_active or not user.has_perm(Perm.VIEW_REPORTS):
        return _("%(user)s may not see reports, so cannot receive them.") % {"user": user.get_username()}
    if not (user.email or "").strip():
        return _("%(user)s has no e-mail address.") % {"user": user.get_username()}
    return None


def send_at(report: SavedReport) -> datetime.time:
    return report.send_at or DEFAULT_SEND_AT


def _mail_configured() -> bool:
    return settings.EMAIL_BACKEND != SMTP_BACKEND or bool(settings.EMAIL_HOST)


def send_due_reports(now: datetime.datetime | None = None) -> list[int]:
    """Send every report due at `now` that has not gone out today; the ids sent."""
    moment = now or timezone.now()
    local = timezone.localtime(moment)
    due = [report.pk for report in SavedReport.objects.filter(email_daily=True).exclude(last_sent_on__gte=local.date())
           if send_at(report) <= local.time().replace(tzinfo=None)]
    if not due:
        return []
    if not _mail_configured():
        log.warning("daily reports: %d due but EMAIL_HOST is not set; nothing sent", len(due))
        return []
    sent = []
    for pk in due:
        try:
            if send_report(pk, moment):
                sent.append(pk)
        except Exception:  # one report failing (a bad recipient server, a deleted station) must not stop the rest
            log.exception("daily reports: report %s could not be sent; tried again at the next tick", pk)
    return sent


def send_report(pk: int, now: datetime.datetime) -> bool:
    """Claim, build and send one report for the day before `now`'s local date; False when it is no
    longer due (sent by another worker, switched off, deleted)."""
    today = timezone.localdate(now)
    with transaction.atomic():
        report = (SavedReport.objects.select_for_update().filter(pk=pk, email_daily=True)
                  .exclude(last_sent_on__gte=today).first())
        if report is None:
            return False
        claimed = SavedReport.objects.filter(pk=pk).exclude(last_sent_on__gte=today).update(last_sent_on=today)
        if claimed != 1:
            return False
        message = build_message(report, parse_period({"period": "yesterday"}, now=now))
        if message is None:
            log.warning("daily reports: report %s has no recipient who may receive it; skipped today", pk)
            return True
        message.send(fail_silently=False)
    log.info("daily reports: sent report %s to %d recipients", pk, len(message.to))
    return True


def build_message(report: SavedReport, period: Period) -> EmailMessage | None:
    """The e-mail of `report` over `period`: a short body, the PDF and the Excel workbook; None when no
    recipient may receive it."""
    addresses = [user.email.strip() for user in report.recipients.order_by("username")
                 if recipient_problem(user) is None]
    if not addresses:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        table = custom.run(report.definition, period)
        chart = custom.chart_of(report.definition, table)
        pdf = exports.pdf_bytes(report.name, period, [table], [chart] if chart else [])
        xlsx = exports.xlsx_bytes(report.name, period, [table])
        subject = _("Daily report: %(name)s, %(day)s") % {"name": report.name, "day": period.label()}
        body = _("The custom report “%(name)s” for %(day)s: %(rows)d rows, attached as PDF and Excel.\n"
                 "Open it in Hotline under Reports → Custom reports.\n") % {
            "name": report.name, "day": period.label(), "rows": len(table.rows)}
    # A time-out, so that a mail server that never answers cannot hold the periodic thread (and the row lock).
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, addresses, connection=connection)
    base = f"report-{report.pk}-{period.first.isoformat()}"
    message.attach(f"{base}.pdf", pdf, "application/pdf")
    message.attach(f"{base}.xlsx", xlsx, XLSX)
    return message

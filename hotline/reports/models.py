"""What the reports read: facts derived from the call event log (one row per call, per queue visit, per
agent handling), written when a call ends and rebuilt from the log at will; and the saved custom reports.

The facts hold nothing the log does not: `hotline.reports.facts` computes them with the same timeline
functions the KPIs are defined by (docs/kpi.md), so a report over facts equals the replay of the log.
Durations are whole milliseconds (the log's precision), so sums and means stay exact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.calls.models import Direction, Outcome


class CallFact(models.Model):
    """One call as the reports read it: arrival, attribution, outcome, first queue and agent, times."""

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices,
                                 default=Direction.INBOUND)
    arrived_at = models.DateTimeField(_("arrived at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    caller = models.CharField(_("caller number"), max_length=32, blank=True)
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("hotline number"))
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("airing"))
    # The airing's station, else the hotline number's: the station a call is credited to.
    station = models.ForeignKey("media.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("station"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    queue = models.CharField(_("first queue"), max_length=64, blank=True)
    visits = models.PositiveSmallIntegerField(_("queue visits"), default=0)
    agent_key = models.CharField(_("answering agent"), max_length=64, blank=True)
    wait_ms = models.BigIntegerField(_("wait (ms)"), null=True, blank=True)  # all queue visits
    talk_ms = models.BigIntegerField(_("talk (ms)"), null=True, blank=True)  # all handlings
    hold_ms = models.BigIntegerField(_("hold (ms)"), null=True, blank=True)
    acw_ms = models.BigIntegerField(_("after-call work (ms)"), null=True, blank=True)
    ivr_nodes = models.PositiveSmallIntegerField(_("IVR nodes visited"), default=0)
    ivr_last_node = models.CharField(_("last IVR node"), max_length=64, blank=True)  # "flow/node"
    # The callback this call was captured as (inbound), or the callback it worked (an outbound dial).
    callback_id = models.BigIntegerField(_("callback"), null=True, blank=True)
    duration_ms = models.BigIntegerField(_("line time (ms)"), null=True, blank=True)  # arrival to hang-up

    class Meta:
        verbose_name = _("call fact")
        verbose_name_plural = _("call facts")
        indexes = [
            models.Index(fields=["arrived_at"], name="callfact_arrived"),
            models.Index(fields=["airing", "arrived_at"], name="callfact_airing_arrived"),
            models.Index(fields=["station", "arrived_at"], name="callfact_station_arrived"),
        ]

    def __str__(self) -> str:
        return self.call_id


class VisitFact(models.Model):
    """One stay of a call in a queue (docs/kpi.md "Queue visits"), with the queue's thresholds applied
    when the fact was written: `within` = left the queue after a wait ≤ T, `short` = abandoned with a
    wait ≤ S. Changing a queue's thresholds is followed by a rebuild (`hotline manage rebuildfacts`)."""

    call_id = models.CharField(_("call id"), max_length=64)
    seq = models.PositiveSmallIntegerField(_("visit number"), default=1)
    queue = models.CharField(_("queue"), max_length=64)
    entered_at = models.DateTimeField(_("entered at"))
    result = models.CharField(_("result"), max_length=12, blank=True)  # answered, abandoned, callback…
    wait_ms = models.BigIntegerField(_("wait (ms)"), null=True, blank=True)
    within = models.BooleanField(_("within the service-level threshold"), default=False)
    short = models.BooleanField(_("short abandon"), default=False)
    agent_key = models.CharField(_("answering agent"), max_length=64, blank=True)
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("airing"))
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("hotline number"))

    class Meta:
        verbose_name = _("queue visit fact")
        verbose_name_plural = _("queue visit facts")
        constraints = [models.UniqueConstraint(fields=["call_id", "seq"], name="visitfact_call_seq")]
        indexes = [
            models.Index(fields=["entered_at", "queue"], name="visitfact_entered_queue"),
            models.Index(fields=["queue", "entered_at"], name="visitfact_queue_entered"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} #{self.seq} {self.queue}"


class HandlingFact(models.Model):
    """One agent's part of a call (docs/kpi.md "Handling"): talk, hold and after-call work. A handling
    still in progress when the fact was written has `ended` False and no times."""

    call_id = models.CharField(_("call id"), max_length=64)
    seq = models.PositiveSmallIntegerField(_("handling number"), default=1)
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    agent_key = models.CharField(_("agent id"), max_length=64)
    answered_at = models.DateTimeField(_("answered at"))
    ended = models.BooleanField(_("ended"), default=False)
    talk_ms = models.BigIntegerField(_("talk (ms)"), default=0)
    hold_ms = models.BigIntegerField(_("hold (ms)"), default=0)
    acw_ms = models.BigIntegerField(_("after-call work (ms)"), default=0)
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("airing"))

    class Meta:
        verbose_name = _("handling fact")
        verbose_name_plural = _("handling facts")
        constraints = [models.UniqueConstraint(fields=["call_id", "seq"], name="handlingfact_call_seq")]
        indexes = [
            models.Index(fields=["answered_at", "agent_key"], name="handlingfact_answered_agent"),
            models.Index(fields=["agent_key", "answered_at"], name="handlingfact_agent_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} #{self.seq} {self.agent_key}"


class SavedReport(models.Model):
    """A custom report (自定义报表): dimensions and measures from the documented catalogue, filters and a
    period, saved by its owner; shared with everyone who may see reports, and optionally e-mailed daily
    (PDF and Excel) to Hotline users who may see reports."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports",
                              verbose_name=_("owner"))
    definition = models.JSONField(_("definition"), default=dict)  # source, dimensions, measures, filters, period
    shared = models.BooleanField(_("shared"), default=False)
    email_daily = models.BooleanField(_("e-mail daily"), default=False)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                        verbose_name=_("recipients"))
    send_at = models.TimeField(_("send at"), null=True, blank=True)  # local time; 07:00 when unset
    last_sent_on = models.DateField(_("last sent on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedreport_owner_name")]

    def __str__(self) -> str:
        return self.name

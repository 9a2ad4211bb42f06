"""The persisted side of telephony: the append-only call event log, one record per call, recordings.

The event log is the source of every KPI (docs/kpi.md); call records summarise it for lists and
reports. Engine names (queue name, agent id) are kept as text next to resolved foreign keys so that a
renamed or deleted user never rewrites history.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """Call steps (the values of `hotline.telephony.events.CallStep`)."""

    ARRIVE = "arrive", _("arrive")
    IVR_NODE = "ivr_node", _("IVR node")
    ENQUEUE = "enqueue", _("enqueue")
    OFFER = "offer", _("offer")
    RING = "ring", _("ring")
    ANSWER = "answer", _("answer")
    ABANDON = "abandon", _("abandon")
    TRANSFER = "transfer", _("transfer")
    HOLD = "hold", _("hold")
    RESUME = "resume", _("resume")
    WRAPUP_END = "wrapup_end", _("wrap-up end")
    HANGUP = "hangup", _("hang-up")
    CALLBACK_REQUEST = "callback_request", _("callback request")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("inbound")
    OUTBOUND = "outbound", _("outbound")


class Outcome(models.TextChoices):
    """How a call ended, from the caller's point of view."""

    ANSWERED = "answered", _("answered")
    ABANDONED_IN_IVR = "abandoned_in_ivr", _("abandoned in IVR")
    ABANDONED_IN_QUEUE = "abandoned_in_queue", _("abandoned in queue")
    SHORT_ABANDON = "short_abandon", _("short abandon")
    CALLBACK = "callback", _("callback")
    VOICEMAIL = "voicemail", _("voicemail")
    REJECTED = "rejected", _("rejected")
    REFUSED_503 = "refused_503", _("refused (503, overload)")
    FAILED = "failed", _("failed")


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a logged event."""


class AppendOnlyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the call event log is append-only")


class AppendOnly(models.Model):
    """Rows are inserted once and never updated or deleted one by one."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the call event log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("the call event log is append-only")


class CallEvent(AppendOnly):
    """One step of one call, appended once (ARCHITECTURE rule 4). `seq` orders the steps of a call;
    `mono` is the engine's monotonic clock in seconds, used for every duration."""

    call_id = models.CharField(_("call id"), max_length=64)
    seq = models.PositiveIntegerField(_("sequence"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    mono = models.FloatField(_("monotonic time"))
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    agent_key = models.CharField(_("agent id"), max_length=64, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    caller = models.CharField(_("caller number"), max_length=32, blank=True)
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("hotline number"))
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("airing"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["call_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["call_id", "seq"], name="callevent_unique_call_seq")]
        indexes = [
            models.Index(fields=["queue", "at"], name="callevent_queue_at"),
            models.Index(fields=["kind", "at"], name="callevent_kind_at"),
            models.Index(fields=["airing", "at"], name="callevent_airing_at"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} #{self.seq} {self.kind}"


class AgentStateEvent(AppendOnly):
    """One change of an agent's ACD state, or of what is shown with it (the seat phone going on or off line,
    a wrap-up extended: then the state repeats); occupancy is computed from these (docs/kpi.md), and the
    desk and the wallboard read an agent's last row when they (re)connect."""

    agent_key = models.CharField(_("agent id"), max_length=64)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    state = models.CharField(_("state"), max_length=20)
    seat = models.CharField(_("seat"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    at = models.DateTimeField(_("time"))
    mono = models.FloatField(_("monotonic time"))
    phone_online = models.BooleanField(_("phone online"), default=True,
                                       help_text=_("Whether the seat's phone could be rung (registered or fixed)."))
    wrapup_until = models.DateTimeField(_("wrap-up until"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent state change")
        verbose_name_plural = _("agent state changes")
        ordering = ["agent_key", "at", "id"]
        # (at): the reports read a period's changes of every agent (occupancy, agents available per minute).
        indexes = [models.Index(fields=["agent_key", "at"], name="agentstate_agent_at"),
                   models.Index(fields=["at"], name="agentstate_at")]

    def __str__(self) -> str:
        return f"{self.agent_key} {self.state}"


class CallRecord(models.Model):
    """One call, summarised from its events: who called which number, the airing it is attributed to,
    where it went and how it ended. Written only by `hotline.calls.actions`."""

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices,
                                 default=Direction.INBOUND)
    caller = models.CharField(_("caller number"), max_length=32, blank=True)
    dnis = models.CharField(_("dialled number"), max_length=32, blank=True)
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="call_records", verbose_name=_("hotline number"))
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="call_records", verbose_name=_("airing"))
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    agent_key = models.CharField(_("agent id"), max_length=64, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    arrived_at = models.DateTimeField(_("arrived at"))
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    wait_seconds = models.DecimalField(_("wait (s)"), max_digits=10, decimal_places=3, null=True, blank=True)
    talk_seconds = models.DecimalField(_("talk (s)"), max_digits=10, decimal_places=3, null=True, blank=True)
    hold_seconds = models.DecimalField(_("hold (s)"), max_digits=10, decimal_places=3, null=True, blank=True)
    wrapup_seconds = models.DecimalField(_("wrap-up (s)"), max_digits=10, decimal_places=3, null=True,
                                         blank=True)

    objects = models.Manager()

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["-arrived_at"]
        indexes = [
            models.Index(fields=["arrived_at"], name="callrecord_arrived"),
            models.Index(fields=["queue", "arrived_at"], name="callrecord_queue_arrived"),
            models.Index(fields=["airing", "arrived_at"], name="callrecord_airing_arrived"),
            models.Index(fields=["caller", "arrived_at"], name="callrecord_caller_arrived"),  # last agent
            models.Index(fields=["agent_key", "arrived_at"], name="callrecord_agent_arrived"),  # the desk's call
        ]

    def __str__(self) -> str:
        return self.call_id


class Recording(models.Model):
    """A recorded conversation (WAV on local disk by default), linked to its call."""

    call = models.ForeignKey(CallRecord, on_delete=models.CASCADE, related_name="recordings",
                             verbose_name=_("call"))
    path = models.CharField(_("file"), max_length=500)
    duration_seconds = models.DecimalField(_("duration (s)"), max_digits=10, decimal_places=3)
    channels = models.PositiveSmallIntegerField(_("channels"), default=1)
    created_at = models.DateTimeField(_("recorded at"))

    objects = models.Manager()

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="recording_created")]

    def __str__(self) -> str:
        # Shown in the back office, where the file's place on the server means nothing: the call it records.
        return f"{self.call.call_id} · {self.duration_seconds:.0f} s"


class Strategy(models.TextChoices):
    LONGEST_IDLE = "longest_idle", _("longest idle agent")
    ROUND_ROBIN = "round_robin", _("round robin")
    FEWEST_CALLS = "fewest_calls", _("fewest calls")
    RING_ALL = "ring_all", _("ring all")
    SKILLS = "skills", _("skills with levels")


class OverflowKind(models.TextChoices):
    BUSY = "busy", _("busy signal")
    QUEUE = "queue", _("another queue")
    VOICEMAIL = "voicemail", _("voicemail box")
    CALLBACK = "callback", _("callback")


class ServiceLevelDenominator(models.TextChoices):
    """Which calls a queue's service level divides by (docs/kpi.md; values match `kpi.ServiceLevelVariant`)."""

    ANSWERED = "answered", _("answered calls")
    ANSWERED_ABANDONED = "answered_abandoned", _("answered and abandoned calls")
    EXCLUDE_SHORT = "exclude_short", _("answered and abandoned calls, short abandons excluded")
    ASTERISK_SL2 = "asterisk_sl2", _("answered and abandoned calls, both counted within the threshold")
    QUEUED = "queued", _("all queued calls (answered, abandoned or called back within the threshold)")


class Queue(models.Model):
    """An ACD queue as the engine reads it: strategy, limits, wrap-up, and the KPI thresholds (docs/kpi.md)."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=64, blank=True,
                             help_text=_("What agents and supervisors read, e.g. 订购; the name when empty."))
    strategy = models.CharField(_("strategy"), max_length=16, choices=Strategy.choices,
                                default=Strategy.LONGEST_IDLE)
    wrapup_seconds = models.PositiveIntegerField(_("wrap-up (seconds)"), default=10)
    max_wait_seconds = models.PositiveIntegerField(_("maximum wait (seconds)"), default=300)
    max_length = models.PositiveIntegerField(_("maximum callers waiting"), default=100)
    overflow = models.CharField(_("overflow"), max_length=16, choices=OverflowKind.choices, default=OverflowKind.BUSY)
    overflow_to = models.CharField(_("overflow destination"), max_length=64, blank=True,
                                   help_text=_("The queue's name or the voicemail box, for those kinds of overflow."))
    max_misses = models.PositiveSmallIntegerField(
        _("missed offers before not ready"), default=2,
        help_text=_("An agent whose phone rings out this many times in a row is set not ready; 0 never."))
    affinity_seconds = models.PositiveIntegerField(
        _("wait for the last agent (seconds)"), default=0,
        help_text=_("A repeat caller waits this long for the agent who served them last; 0 turns it off."))
    vip_priority = models.PositiveSmallIntegerField(
        _("VIP priority"), default=1, help_text=_("VIP customers wait ahead of callers with a lower priority; "
                                                  "0 treats them like everyone else."))
    skill_level = models.PositiveSmallIntegerField(
        _("skill level wanted"), default=0,
        help_text=_("Callers want agents with at least this level in the queue; 0 means any member."))
    widen_after_seconds = models.PositiveIntegerField(
        _("widen after (seconds)"), default=0,
        help_text=_("After this wait a caller accepts agents down to the level below; 0 never widens."))
    widen_to_level = models.PositiveSmallIntegerField(_("widen to level"), default=0)
    announce_seconds = models.PositiveIntegerField(
        _("announce position every (seconds)"), default=30,
        help_text=_("Waiting callers hear how many callers are ahead and the expected wait; 0 turns it off."))
    service_level_seconds = models.PositiveIntegerField(_("service level threshold (seconds)"), default=20)
    service_level_variant = models.CharField(
        _("service level denominator"), max_length=24, choices=ServiceLevelDenominator.choices,
        default=ServiceLevelDenominator.EXCLUDE_SHORT)
    short_abandon_seconds = models.PositiveIntegerField(_("short abandon threshold (seconds)"), default=5)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.shown

    @property
    def shown(self) -> str:
        """The label people read, else the name the engine uses."""
        return self.label or self.name

    @staticmethod
    def labels() -> dict[str, str]:
        """Every queue's label (its name when it has none), by name: for screens that get engine names."""
        return {name: label or name for name, label in Queue.objects.values_list("name", "label")}

    def clean(self) -> None:
        needs_target = self.overflow in (OverflowKind.QUEUE, OverflowKind.VOICEMAIL)
        if needs_target != bool(self.overflow_to):
            raise ValidationError({"overflow_to": _("Give a destination for queue or voicemail overflow only.")})
        if self.overflow == OverflowKind.QUEUE and self.overflow_to == self.name:
            raise ValidationError({"overflow_to": _("A queue cannot overflow to itself.")})


class QueueMember(models.Model):
    """An agent serves a queue with a skill level (higher is better; the skills strategy prefers it)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_skills",
                              verbose_name=_("agent"))
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="members", verbose_name=_("queue"))
    level = models.PositiveSmallIntegerField(_("skill level"), default=1)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        ordering = ["queue", "-level", "agent"]
        constraints = [models.UniqueConstraint(fields=["agent", "queue"], name="queuemember_agent_queue")]

    def __str__(self) -> str:
        return f"{self.agent} @ {self.queue} ({self.level})"


class NumberRoute(models.Model):
    """Where calls to one hotline number go: an IVR flow, or straight to a queue."""

    hotline_number = models.OneToOneField("media.HotlineNumber", on_delete=models.CASCADE, related_name="route",
                                          verbose_name=_("hotline number"))
    flow = models.CharField(_("IVR flow"), max_length=64, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="routes",
                              verbose_name=_("queue"))

    class Meta:
        verbose_name = _("number route")
        verbose_name_plural = _("number routes")

    def __str__(self) -> str:
        return f"{self.hotline_number} → {self.flow or self.queue}"

    def clean(self) -> None:
        if bool(self.flow) == (self.queue_id is not None):
            raise ValidationError(_("Route the number to an IVR flow or to a queue (one of them)."))


def validate_networks(value: str) -> None:
    """Addresses or CIDR networks separated by spaces or commas (`Seat.allowed_networks`)."""
    for entry in value.replace(",", " ").split():
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValidationError(_("%(entry)s is not an IP address or network such as 10.0.0.0/24."),
                                  params={"entry": entry}) from None


class Seat(models.Model):
    """A desk with a SIP phone: it registers with digest credentials, or has a fixed SIP URI.

    Only HA1 = MD5(username:realm:password) is stored, never the password: it is all digest
    verification needs, and a leaked HA1 opens this realm only, not other systems the password is reused on.
    `allowed_networks`, when set, limits where the phone may register from: a stolen password is of no use
    outside the call center's own network.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    sip_username = models.CharField(_("SIP user name"), max_length=64, unique=True)
    realm = models.CharField(_("realm"), max_length=64, default="hotline")
    ha1 = models.CharField(_("digest HA1"), max_length=32, blank=True, editable=False)
    fixed_uri = models.CharField(_("fixed SIP URI"), max_length=200, blank=True,
                                 help_text=_("Rung instead of a registered phone, e.g. sip:8001@10.0.0.5."))
    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="seat", verbose_name=_("agent logged in"))
    # Agents mostly sit at the same desk: the desk offers this seat first when they sign in.
    usual_agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="usual_seats", verbose_name=_("usual agent"),
                                    help_text=_("Offered first to this agent when they sign in at the desk."))
    allowed_networks = models.CharField(
        _("allowed networks"), max_length=500, blank=True, validators=[validate_networks],
        help_text=_("The phone may register only from these addresses or networks (e.g. 10.0.0.0/24), separated "
                    "by spaces; empty: from anywhere."))

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def networks(self) -> tuple[str, ...]:
        """`allowed_networks` as a list of addresses or CIDRs."""
        return tuple(self.allowed_networks.replace(",", " ").split())


# --- callbacks and voicemail ------------------------------------------------------------------------


class CallbackStatus(models.TextChoices):
    """Where a callback stands (the values of `hotline.telephony.callback.model.Status`)."""

    PENDING = "pending", _("pending")
    RESERVED = "reserved", _("agent reserved")
    DIALLING = "dialling", _("dialling")
    ANSWERED = "answered", _("answered")
    GAVE_UP = "gave_up", _("gave up")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")
    HELD = "held", _("not dialled, for a person")


# One live callback per number: the engine's book de-duplicates on these (model.LIVE).
LIVE_CALLBACK_STATUSES = (CallbackStatus.PENDING, CallbackStatus.RESERVED, CallbackStatus.DIALLING)
# What the callback worklist shows: the live ones, and those the dial policy held for a person.
WORKLIST_CALLBACK_STATUSES = (*LIVE_CALLBACK_STATUSES, CallbackStatus.HELD)


class NotDialled(models.TextChoices):
    """Why the outbound dial policy refused a callback's number (the values of
    `hotline.telephony.dial_policy.Refusal`; docs/telephony.md, "Outbound dial policy")."""

    INTERNATIONAL = "international", _("international number")
    PREMIUM = "premium", _("premium-rate number")
    SERVICE = "service", _("service number")
    INVALID = "invalid", _("number we could not read")
    NO_CALLER_ID = "no_caller_id", _("no caller ID")
    DENIED_PREFIX = "denied_prefix", _("prefix refused by configuration")
    NUMBER_LIMIT = "number_limit", _("daily dial limit of this number reached")
    PREFIX_LIMIT = "prefix_limit", _("daily dial limit of this prefix reached")


class CallbackReason(models.TextChoices):
    """Why a callback was captured (the values of `hotline.telephony.callback.model.Reason`)."""

    SURGE = "surge", _("surge (automatic seat)")
    REQUESTED = "requested", _("requested by the caller")
    ABANDONED = "abandoned", _("abandoned call")
    OVERFLOW = "overflow", _("queue overflow")


class DialResult(models.TextChoices):
    """How a callback's dial attempt ended (the values of `hotline.telephony.callback.model.DialResult`)."""

    ANSWERED = "answered", _("answered")
    NO_ANSWER = "no_answer", _("no answer")
    BUSY = "busy", _("busy")
    FAILED = "failed", _("failed")


class CallbackEventKind(models.TextChoices):
    """A logged change of a callback (the values of `hotline.telephony.callback.model.EventKind`)."""

    CAPTURED = "captured", _("captured")
    DEDUPLICATED = "deduplicated", _("called again (de-duplicated)")
    RESERVED = "reserved", _("agent reserved")
    RELEASED = "released", _("agent released")
    DIALLED = "dialled", _("dialled")
    ANSWERED = "answered", _("answered")
    RETRY_SCHEDULED = "retry_scheduled", _("retry scheduled")
    GAVE_UP = "gave_up", _("gave up")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")
    NOT_DIALLED = "not_dialled", _("not dialled")


class Callback(models.Model):
    """A caller to call back, as the engine's callback book keeps it (rebuilt from the live rows after a
    restart). At most one live (pending, reserved or dialling) callback per number: a caller who rings in
    again while one is live raises its `reach_attempts` instead. A number the outbound dial policy refuses
    (international, premium, no caller ID, a daily limit) is `held` with the reason in `not_dialled`: never
    dialled, listed for a person. Written only by `hotline.calls.callback_actions`."""

    number = models.CharField(_("caller number"), max_length=32)
    dnis = models.CharField(_("dialled number"), max_length=32, blank=True)
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="callbacks", verbose_name=_("hotline number"))
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="callbacks", verbose_name=_("airing"))
    reason = models.CharField(_("reason"), max_length=16, choices=CallbackReason.choices)
    call_id = models.CharField(_("call id"), max_length=64, blank=True,
                               help_text=_("The call during which the callback was captured."))
    arrived_at = models.DateTimeField(_("first arrived at"))
    captured_at = models.DateTimeField(_("captured at"))
    status = models.CharField(_("status"), max_length=16, choices=CallbackStatus.choices,
                              default=CallbackStatus.PENDING)
    reach_attempts = models.PositiveIntegerField(_("times the caller rang"), default=1)
    dial_attempts = models.PositiveIntegerField(_("dial attempts"), default=0)
    not_before = models.DateTimeField(_("not dialled before"), null=True, blank=True)
    last_result = models.CharField(_("last dial result"), max_length=16, choices=DialResult.choices, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    last_call_id = models.CharField(_("last dial's call id"), max_length=64, blank=True)
    not_dialled = models.CharField(_("not dialled because"), max_length=16, choices=NotDialled.choices,
                                   blank=True)

    objects = models.Manager()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["captured_at", "id"]
        constraints = [
            # A partial unique index (SQLite and PostgreSQL both have them): final rows may repeat a number.
            models.UniqueConstraint(fields=["number"], condition=models.Q(status__in=LIVE_CALLBACK_STATUSES),
                                    name="callback_one_live_per_number"),
        ]
        indexes = [
            models.Index(fields=["status", "captured_at"], name="callback_status_captured"),
            models.Index(fields=["number"], name="callback_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    @property
    def not_dialled_text(self) -> str:
        """"not dialled: international number" (translated), or "" for a number the dialer may call."""
        if not self.not_dialled:
            return ""
        return _("not dialled: %(reason)s") % {"reason": self.get_not_dialled_display()}


class CallbackEvent(AppendOnly):
    """One logged change of a callback (captured, de-duplicated, dialled, answered…), appended once."""

    callback = models.ForeignKey(Callback, on_delete=models.PROTECT, related_name="events",
                                 verbose_name=_("callback"))
    kind = models.CharField(_("kind"), max_length=20, choices=CallbackEventKind.choices)
    at = models.DateTimeField(_("time"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    call_id = models.CharField(_("call id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("callback event")
        verbose_name_plural = _("callback events")
        ordering = ["callback", "at", "id"]

    def __str__(self) -> str:
        return f"{self.callback_id} {self.kind}"


class VoicemailStatus(models.TextChoices):
    NEW = "new", _("new")
    CALLED_BACK = "called_back", _("called back")  # someone called the caller; not done yet
    HANDLED = "handled", _("handled")


class Voicemail(models.Model):
    """A message a caller left (a mono WAV on disk), on the worklist until someone handles it. The caller,
    number and airing are copied from the call's record."""

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    caller = models.CharField(_("caller number"), max_length=32, blank=True)
    dnis = models.CharField(_("dialled number"), max_length=32, blank=True)
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="voicemails", verbose_name=_("hotline number"))
    airing = models.ForeignKey("media.Airing", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="voicemails", verbose_name=_("airing"))
    path = models.CharField(_("file"), max_length=500)
    duration_seconds = models.DecimalField(_("duration (s)"), max_digits=10, decimal_places=3)
    created_at = models.DateTimeField(_("left at"))
    status = models.CharField(_("status"), max_length=12, choices=VoicemailStatus.choices,
                              default=VoicemailStatus.NEW)
    called_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("called back by"))
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    # The audio is deleted after HOTLINE_RECORDING_RETENTION_DAYS; the row stays for the worklist and reports.
    audio_purged_at = models.DateTimeField(_("audio deleted at"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("handled by"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = models.Manager()

    class Meta:
        verbose_name = _("voicemail")
        verbose_name_plural = _("voicemails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="voicemail_status_created")]

    def __str__(self) -> str:
        return f"{self.caller or '?'} {self.call_id}"

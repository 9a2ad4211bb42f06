"""The reconciler: every call the load placed gets exactly one outcome, from what the caller saw and the database.

A call is `agent` when its `CallRecord` was answered, `callback` when a `Callback` row was captured during
it (or its record says it left a callback), `voicemail` when it left a message, `blacklist-rejected` when the
engine turned the number away, `refused-503` when the caller got 503 (every line taken: the carrier retries).
Anything else — no record, abandoned with no callback, failed — is `lost`: the caller went away and nobody
will ever call them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

AGENT, CALLBACK, VOICEMAIL, REJECTED, REFUSED, LOST = (
    "agent", "callback", "voicemail", "blacklist-rejected", "refused-503", "lost")
OUTCOMES = (AGENT, CALLBACK, VOICEMAIL, REJECTED, REFUSED, LOST)


@dataclass(frozen=True)
class Record:
    """What the engine logged about one call (`CallRecord`): its outcome and whether an agent answered."""

    outcome: str = ""
    answered: bool = False


@dataclass
class Evidence:
    """Everything the database holds about this run's calls, by Call-ID."""

    records: dict[str, Record] = field(default_factory=dict)
    callbacks: set[str] = field(default_factory=set)  # Callback.call_id
    callback_requests: set[str] = field(default_factory=set)  # CallEvent kind callback_request
    voicemails: set[str] = field(default_factory=set)


def classify(call_id: str, final_status: int | None, evidence: Evidence) -> str:
    """The one outcome of a call, given the final status the caller got to its INVITE."""
    record = evidence.records.get(call_id)
    if record is not None and (record.answered or record.outcome == "answered"):
        return AGENT
    if (call_id in evidence.callbacks or call_id in evidence.callback_requests
            or (record is not None and record.outcome == "callback")):
        return CALLBACK
    if call_id in evidence.voicemails or (record is not None and record.outcome == "voicemail"):
        return VOICEMAIL
    if record is not None and record.outcome == "rejected":
        return REJECTED
    if final_status == 503 or (record is not None and record.outcome == "refused_503"):
        return REFUSED
    return LOST


def reconcile(calls: Iterable[tuple[str, int | None]], evidence: Evidence) -> dict[str, str]:
    """Call-ID → outcome for every (Call-ID, final status) the load placed."""
    return {call_id: classify(call_id, status, evidence) for call_id, status in calls}


def count(outcomes: dict[str, str]) -> dict[str, int]:
    """Calls per outcome, every outcome listed (0 when none)."""
    counted = Counter(outcomes.values())
    return {outcome: counted.get(outcome, 0) for outcome in OUTCOMES}


def load_evidence(call_ids: Iterable[str]) -> Evidence:
    """Read this run's rows (sync ORM; Django must be set up on the benchmark's database)."""
    from hotline.calls.models import Callback as CallbackRow
    from hotline.calls.models import CallEvent, CallRecord, Kind, Voicemail

    wanted = list(call_ids)
    evidence = Evidence()
    for start in range(0, len(wanted), 500):  # keep the IN lists short for SQLite
        chunk = wanted[start:start + 500]
        for call_id, outcome, answered_at in CallRecord.objects.filter(call_id__in=chunk).values_list(
                "call_id", "outcome", "answered_at"):
            evidence.records[call_id] = Record(outcome=outcome, answered=answered_at is not None)
        evidence.callbacks.update(CallbackRow.objects.filter(call_id__in=chunk).values_list("call_id", flat=True))
        evidence.callback_requests.update(CallEvent.objects.filter(
            call_id__in=chunk, kind=Kind.CALLBACK_REQUEST).values_list("call_id", flat=True))
        evidence.voicemails.update(Voicemail.objects.filter(call_id__in=chunk).values_list("call_id", flat=True))
    return evidence

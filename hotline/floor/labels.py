"""The words the live screens show for agent states and not-ready reasons: engine codes are never shown."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hotline.telephony.acd.pauses import EnginePause

# Why an agent is not ready (示忙原因); the code goes to the engine and the call log.
NOT_READY_REASONS = [("break", _("Break")), ("lunch", _("Lunch")), ("training", _("Training")),
                     ("meeting", _("Meeting")), ("admin", _("Paperwork"))]
# Reasons the engine sets by itself: shown, never chosen.
ENGINE_REASONS = [(EnginePause.NO_ANSWER.value, _("Missed a call")), (EnginePause.OUTBOUND.value, _("Outbound call")),
                  (EnginePause.LOGIN.value, _("Just signed in"))]

STATE_LABELS = {"logged_out": _("Signed out of the seat"), "ready": _("Ready"), "not_ready": _("Not ready"),
                "ringing": _("Ringing"), "on_call": _("On a call"), "wrap_up": _("Wrap-up"),
                # ready, but the seat's phone cannot ring (not registered): no call is offered
                "ready_offline": _("Ready · phone offline")}


def reason_labels() -> dict[str, str]:
    """Every not-ready reason code with its label in the current language, for the live screens."""
    return {code: str(label) for code, label in [*NOT_READY_REASONS, *ENGINE_REASONS]}


def state_labels() -> dict[str, str]:
    """Every agent state with its label in the current language, for the live screens."""
    return {key: str(label) for key, label in STATE_LABELS.items()}

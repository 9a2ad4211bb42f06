"""Old import path of the ORM call log and event bus, now in `hotline.calls.host` (`call_log`, `events`);
kept because many tests import it from here."""

from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.host.events import BusEventBus, event_payload

__all__ = ["BusEventBus", "OrmCallLog", "event_payload"]

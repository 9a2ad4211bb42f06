"""Old import path of the ORM directory, now `hotline.calls.host.directory`; kept for the engine tests
that import it from here."""

from hotline.calls.host.directory import (
    DemoPasswordError,
    OrmDirectory,
    SeatCredentialCache,
    refuse_demo_passwords,
    seats_with_demo_password,
)

__all__ = ["DemoPasswordError", "OrmDirectory", "SeatCredentialCache", "refuse_demo_passwords",
           "seats_with_demo_password"]

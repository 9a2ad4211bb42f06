"""Old import path of `hotline.calls.host.link`, kept only for `hotline/api/errors.py` until it imports
`EngineUnavailable` from `hotline.calls.host.link`; then delete this module."""

from hotline.calls.host.link import EngineUnavailable

__all__ = ["EngineUnavailable"]

"""Old import path of `hotline.calls.host.link`, kept for its importers (the API's errors, the pop bench,
tests). The name is the same module object, so that setting `engine_link.COMMAND_LIST` (as tests do) is
seen by the host."""

import sys

from hotline.calls.host import link as _link
from hotline.calls.host.link import COMMAND_LIST, REPLY_PREFIX, EngineUnavailable, send_command, serve_commands

__all__ = ["COMMAND_LIST", "REPLY_PREFIX", "EngineUnavailable", "send_command", "serve_commands"]
sys.modules[__name__] = _link

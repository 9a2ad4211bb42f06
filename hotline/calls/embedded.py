"""Old import path of `hotline.calls.host.embedded`, kept for its many importers (the demo command, tests).

The name is the same module object, so that setting `embedded._current` (as tests do) is seen by the host.
"""

import sys

from hotline.calls.host import embedded as _embedded
from hotline.calls.host.embedded import EmbeddedEngine, current

__all__ = ["EmbeddedEngine", "current"]
sys.modules[__name__] = _embedded

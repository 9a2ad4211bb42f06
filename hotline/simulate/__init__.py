"""The traffic simulator: SIP callers and virtual agent phones that "air" a TV spot against a running engine.

Everything here speaks real SIP and RTP over the network (loopback for the demo) with the phones of
`hotline.phones`, built from the engine's own SIP and media pieces; nothing in the simulator core imports
Django. The `hotline simulate airing` command (`management/commands/simulate.py`) is the thin Django front end.
"""

from __future__ import annotations

# The SIP password of the demo seats 8001…8010 (the demo data set creates them with it).
DEMO_SIP_PASSWORD = "hotline-demo"
DEMO_FIRST_USER = 8001
DEFAULT_DNIS = "4008001000"

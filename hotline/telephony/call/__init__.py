"""One inbound call through the engine, split by capability.

`session.py` answers, runs the IVR and ends the call, and holds its `CallPhase` (phase.py); the parts it
owns carry out each capability: `queueing.py` (hold music, announcements, overflow), `agent_leg.py`
(ringing agents, withdrawing offers, bridging, recording), `transfer.py` (hold, blind and attended
transfer, pick-up), `capture.py` (the automatic seat, the callback key, abandon callbacks) and
`voicemail.py`. A session reaches the engine only through its `CallContext` (context.py).
"""

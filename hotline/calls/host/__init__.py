"""The telephony engine's host on the web side: everything that runs an engine for Hotline.

* `config`: the `EngineConfig` read from settings and the database, and what a running engine takes
  without a restart (`config_updates`, `reconfigure`).
* the ports on the ORM: `directory` (routing, attribution, seat credentials), `call_log` (the call log),
  `events` (engine events to the live screens), `ivr` (the IVR's look-ups), `callback_store` (callbacks).
* `build`: an engine on those ports (`build_engine`); `process` runs it as `hotline engine`.
* `embedded`: the engine on a thread of the web process (`hotline demo`).
* `link`: how the web side's typed commands (`hotline.telephony.commands`) reach the engine, in-process
  or through Redis, and how configuration changes reach it.

The dependencies point one way (process → link → embedded → build → config and the ports); nothing here is
imported back by the modules it uses.
"""

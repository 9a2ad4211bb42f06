"""The IVR: flows as validated data (`model`, `loader`), a pure interpreter (`interpreter`), the actions
it asks of its host (`actions`), the host's look-ups (`host`) and the recorded phrases it composes
(`phrases`). Prompt audio lives in `hotline/telephony/prompts/`.
"""

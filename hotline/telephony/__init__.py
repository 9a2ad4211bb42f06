"""Hotline's telephony engine: an asyncio SIP back-to-back user agent with IVR, queues and recording.

It imports nothing from Django or from other Hotline apps; the host (the web app, `hotline engine`)
gives it the ports it needs (ports.py). See docs/telephony.md.
"""

"""The media plane: RTP endpoints, bridging, prompts, hold music, recording and DTMF (the 20 ms hot path).

The engine talks to `MediaPlane` only (plane.py); `LocalMediaPlane` runs it in this process, and an
rtpengine-backed implementation can replace it. See docs/telephony.md, "Media plane".
"""

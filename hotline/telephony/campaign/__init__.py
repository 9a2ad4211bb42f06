"""Outbound campaigns in the engine: the pure book that decides whom to dial when (policy.py) and the
dialer service that rings a ready agent first, then the customer (dialer.py)."""

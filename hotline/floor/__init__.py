"""What the agents' desk and the supervisors' wallboard share: the words for agent states and not-ready
reasons, and the plumbing of their live screens (reader threads, close codes, when an open call is stale).

Neither screen imports the other: both import from here (tests/wallboard/test_boundaries.py)."""

"""Outbound campaigns (回访 / 外呼营销) and post-call satisfaction surveys."""

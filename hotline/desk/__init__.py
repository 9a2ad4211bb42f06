"""Agent desktop."""

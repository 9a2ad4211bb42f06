"""Customer service."""

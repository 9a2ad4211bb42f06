"""Wallboard."""

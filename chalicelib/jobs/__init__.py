"""Scheduled and event handlers."""

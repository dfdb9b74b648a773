"""Chalice blueprints: pages, JSON API, merchant links, webhooks."""

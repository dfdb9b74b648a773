"""Retour: a serverless returns and refunds portal."""

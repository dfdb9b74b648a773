"""Pydantic models for untrusted input; they build domain objects and nothing else."""

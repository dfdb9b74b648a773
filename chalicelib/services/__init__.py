"""Use cases, one module per verb; they talk to the outside only through ports/ (one module per area)."""

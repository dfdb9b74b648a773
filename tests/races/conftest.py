"""The functional suite's Chalice client on a fresh local table, reused by the race tests."""

from tests.functional.conftest import client, local_table  # noqa: F401 - fixtures

"""The functional suite's Chalice client on a fresh local table, reused by the form fuzzing."""

from tests.functional.conftest import client, local_table, staff_pool  # noqa: F401 - fixtures

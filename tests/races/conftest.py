"""The functional suite's client on a fresh local table and its label bucket, reused by the race tests."""

from tests.functional.conftest import client, local_table, s3, staff_pool  # noqa: F401 - fixtures

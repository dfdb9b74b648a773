"""`make bench` runs every benchmark module: each must still import after a rename in chalicelib."""

from __future__ import annotations

import importlib

import pytest

from bench.__main__ import MODULES


@pytest.mark.parametrize("name", MODULES)
def test_every_benchmark_module_imports_and_measures(name: str) -> None:
    module = importlib.import_module(name)
    assert callable(module.measure)

"""The benchmarks are run by hand, not by CI; importing each driver here keeps a refactor of
their shared helpers from breaking one unnoticed (as happened to bench/checkin.py once)."""

import importlib

import pytest


@pytest.mark.parametrize(
    "name", ["me", "points", "checkin", "media", "feed", "grid", "load", "roster_import", "notify"]
)
def test_benchmark_driver_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)) or name == "load"

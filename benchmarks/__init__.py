"""Benchmarks (run as modules, e.g. ``python -m benchmarks.bench_ingest``); not part of the test suite."""

"""Benchmarks: scale runs measured as ratios against reference tools (see benchmarks/README.md)."""

"""Measurement scripts, run from the project's folder as `python -m benchmarks.<name>` (docs/BENCHMARKS.md)."""

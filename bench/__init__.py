"""Benchmarks: each measures Sluice against a peer or a limit in the same run, as a ratio."""

"""Benchmarks: ratios against peers measured in the same run. Run ``python -m bench``."""

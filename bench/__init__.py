"""Benchmarks: `python -m bench` prints the table quoted in bench/README.md."""

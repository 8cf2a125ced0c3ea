"""Benchmarks against the budgets of DESIGN §6: `python -m bench` (see README.md)."""

"""Grids of runs, stored records and paired statistics (docs/experiments.md)."""

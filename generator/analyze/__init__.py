"""Analyses over loaded incident records: pure computations, no I/O."""

"""The money maths, pure (no I/O): rule formulas, settlement with caps, floors and budget, rounding and the
per-line trace, and a slow reference calculator to check the set-based one against."""

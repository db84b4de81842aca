"""What one process writes and another reads, defined once and used on both sides.

The API and the matcher never import each other: a run's stored overrides, summary and
routing figures, the names and arguments of the jobs between them, and the run and
cycle state machines live here, as msgspec structs and enums. Pure: no I/O.
"""

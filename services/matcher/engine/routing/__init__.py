"""Stage 2 of the engine: shipments, joint and hub routes, the each-alone baseline, cost shares."""

"""Matching's I/O around the pure engine: read a cycle's snapshot (``snapshot``), run the
engine and store its result once (``run``), load vans and places and store routes
(``routing``), and ask a road router for travel times (``osrm``)."""

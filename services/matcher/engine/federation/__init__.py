"""The Data Food Consortium (DFC) mapping: Samlast's offers and purchases to DFC terms
and back. Pure, like the rest of the engine: plain data in (a catalog read into nodes
by ``shared.federation.jsonld``), plain data out; the JSON-LD processing, the database
and the network stay outside. docs/federation.md tells the mapping.
"""

"""Peering: the deployments this one trades with, and the signed requests between them
(docs/federation-peering.md)."""

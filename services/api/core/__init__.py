"""The API's plumbing, beside its domains: the body bound, problems, conditional
requests, idempotency, retries of rolled-back requests, limits, security headers,
input types and parsers, the OpenAPI helpers, the audit trail and the server."""

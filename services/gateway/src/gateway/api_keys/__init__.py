"""API keys: created, listed and revoked by admins (API or CLI), verified on every authenticated request."""

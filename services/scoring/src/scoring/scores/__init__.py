"""The score API: each partner's evaluation, health and tier standing, precomputed and refreshed by events."""

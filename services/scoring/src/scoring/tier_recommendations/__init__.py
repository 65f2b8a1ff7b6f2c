"""Tier recommendations: the partner against the registry's tier ladder, stored, listed and applied."""

"""Moved to prm_kit.idempotency.created; this re-export goes once every import has moved."""

from prm_kit.idempotency import created

__all__ = ["created"]

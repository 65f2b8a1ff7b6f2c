"""Moved to prm_kit.clock; this re-export goes once every import has moved."""

from prm_kit.clock import NowDep, utc_now

__all__ = ["NowDep", "utc_now"]

"""Moved to prm_kit.db.versions; this re-export goes once every import has moved."""

from prm_kit.db.versions import Versioned, bump_version

save_new_version = bump_version

__all__ = ["Versioned", "save_new_version"]

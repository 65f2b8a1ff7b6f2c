"""The deal rules the channel team tunes through settings (see config.Settings, `deal_*`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DealPolicy:
    auto_approve: bool = True
    name_threshold: float = 88.0
    protection: timedelta = timedelta(days=90)
    extension: timedelta = timedelta(days=30)
    candidate_limit: int = 200

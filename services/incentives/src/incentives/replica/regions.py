"""How incentives compares regions: as the registry does. A partner's region is free text there (one line, the
case as it was typed: `EMEA`, `UK & Ireland`) and regions are equal when they are ignoring case and runs of
spaces, so `emea` in a programme's eligibility is the partner's `EMEA`."""

from __future__ import annotations

# casefold may lengthen a text (ß → ss): room for every region the registry takes (100 characters)
REGION_KEY_LENGTH = 300


def region_key(region: str | None) -> str | None:
    """The form regions are compared in: case-folded, single-spaced; None for no region."""
    if region is None:
        return None
    return " ".join(region.split()).casefold() or None

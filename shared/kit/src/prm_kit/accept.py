"""Content negotiation by `Accept` (RFC 9110 §12.5.1): which of the media types an operation can answer the
client prefers, by quality (`q`). Neither Starlette nor FastAPI offers one (FastAPI's parser is private)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# on every answer of an operation that negotiates (whichever format it chose): a shared cache must not give a
# CSV to a caller that asked for JSON
VARY_ON_ACCEPT = {"Vary": "Accept"}

# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    quality: float

    def specificity(self, media_type: str) -> int | None:
        """How closely this range names `media_type` (2: exactly, 1: `type/*`, 0: `*/*`); None: not at all."""
        main, sub = media_type.split("/", 1)
        if (self.type, self.subtype) == (main, sub):
            return 2
        if self.type == main and self.subtype == "*":
            return 1
        if (self.type, self.subtype) == ("*", "*"):
            return 0
        return None


def media_ranges(accept: str) -> list[MediaRange]:
    """The ranges of an `Accept` value, lower-cased, each with its quality (1 when not given); a malformed
    element (no `type/subtype`, a `q` that is not a qvalue) is left out, as if the client had not sent it."""
    ranges = []
    for element in accept.split(","):
        media_type, *parameters = (part.strip() for part in element.split(";"))
        main, slash, sub = media_type.lower().partition("/")
        if not slash or not _TOKEN.fullmatch(main) or not _TOKEN.fullmatch(sub) or (main == "*" != sub):
            continue
        quality: float | None = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else None
                break  # what follows q are accept-ext parameters, not the media type's
        if quality is not None:
            ranges.append(MediaRange(main, sub, quality))
    return ranges


def preferred_media_type(accept: str | None, offered: Sequence[str], *, default: str) -> str | None:
    """Of `offered` (lower-case `type/subtype`, `default` among them), the one `accept` gives the highest
    quality, judged by the most specific range naming it; q=0 means not acceptable. On equal quality a type the
    client names exactly wins (in the order of `offered`), then `default`, then `offered`'s order. `default`
    when `accept` is absent or has no well-formed range; None when nothing offered is acceptable."""
    ranges = media_ranges(accept or "")
    if not ranges:
        return default
    best: tuple[tuple[float, int, int, int], str] | None = None
    for position, media_type in enumerate(offered):
        matching = [(spec, r.quality) for r in ranges if (spec := r.specificity(media_type)) is not None]
        if not matching:
            continue
        specificity = max(spec for spec, _ in matching)
        quality = max(q for spec, q in matching if spec == specificity)
        if quality <= 0:
            continue
        named = specificity == 2
        rank = (quality, int(named), 0 if named else int(media_type == default), -position)
        if best is None or rank > best[0]:
            best = (rank, media_type)
    return None if best is None else best[1]

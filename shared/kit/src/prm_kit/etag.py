"""Entity tags from a resource's version, and the `If-Match` precondition that stops lost updates.

A mutable resource keeps an integer `version`, incremented on every change; its ETag is that version in
quotes (`"3"`). Readers get it in the `ETag` header of GET and PATCH answers; writers send it back in
`If-Match`, and an update whose tag no longer matches is refused with 412 `precondition-failed` instead of
silently overwriting someone else's change (RFC 9110 §13.1.1). Where a service requires `If-Match`, an
update without it is refused with 428 `precondition-required` (RFC 6585 §3).

Tags are strong by default: one version of a resource has exactly one JSON representation. A service whose
representation of one version can vary (say by the caller's projection) may emit weak tags (`W/"3"`);
`If-Match` is then compared weakly, a documented deviation from RFC 9110, which asks for strong comparison.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Response
from prm_contracts.problem import (
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableContent,
    ValidationIssue,
)

ETAG_HEADER = "ETag"
IF_MATCH_HEADER = "If-Match"

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list with optional spaces and tabs (RFC 9110
# §8.8.3, §5.6.3); etagc without obs-text: our tags are ASCII, and clients cannot all send Latin-1 bytes
_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e]*)"[ \t]*(?:,|$)')


# The same list as the document states it, for a value as sent (HTTP drops spaces around a field value):
# `*`, or tags separated by commas (spaces or tabs around them; a trailing comma is an empty element), or nothing
# (an empty header counts as none). Only stated: `parse_entity_tags` checks it, with a message that shows the
# current tag rather than a regular expression.
IF_MATCH_PATTERN = r'^(\*|(W/)?"[\x21\x23-\x7e]*"([ \t]*,[ \t]*(W/)?"[\x21\x23-\x7e]*")*([ \t]*,)?)?$'

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias=IF_MATCH_HEADER,
        max_length=1024,
        json_schema_extra={"pattern": IF_MATCH_PATTERN},
        description='The `ETag` of the version you read (e.g. `"3"`); the change is refused with 412 when '
        "the resource has changed since.",
    ),
]


def entity_tag(version: int, *, weak: bool = False) -> str:
    """The ETag header value of a resource at `version`."""
    return f'W/"{version}"' if weak else f'"{version}"'


def etag_headers(version: int, *, weak: bool = False) -> dict[str, str]:
    return {ETAG_HEADER: entity_tag(version, weak=weak)}


def set_etag(response: Response, version: int, *, weak: bool = False) -> None:
    """Put the ETag of `version` on an answer (FastAPI's `response: Response` parameter)."""
    response.headers[ETAG_HEADER] = entity_tag(version, weak=weak)


def parse_entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """`[(is_weak, opaque_tag), ...]` of an If-Match/If-None-Match value; `[]` for `*`, None when malformed."""
    header = header.strip(" \t")
    if header == "*":
        return []
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(header):
        match = _TAG.match(header, position)
        if match is None or match.end() == position:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        position = match.end()
    return tags or None


def if_match_satisfied(if_match: str, version: int, *, weak: bool = False) -> bool:
    """Whether an If-Match value names the current version (`*` names any existing version)."""
    tags = parse_entity_tags(if_match)
    if tags is None:
        return False
    if not tags:  # "*"
        return True
    current = str(version)
    return any(opaque == current and (weak or not is_weak) for is_weak, opaque in tags)


def check_if_match(
    if_match: str | None, version: int, *, required: bool, weak: bool = False, resource: str = "resource"
) -> None:
    """Refuse an update made against another version: 412 on a mismatch, 428 when required and absent, 422
    when the header is not an entity-tag list."""
    current = entity_tag(version, weak=weak)
    if if_match is not None and not if_match.strip(" \t"):
        if_match = None  # an empty field is a list of no tags: as if it were not sent (RFC 9110 §5.6.1)
    if if_match is None:
        if required:
            raise PreconditionRequired(
                f"send If-Match with the ETag of the {resource} you read (it is now {current}), "
                "so that a change made meanwhile is not overwritten",
                headers={ETAG_HEADER: current},
            )
        return
    if parse_entity_tags(if_match) is None:
        # not a precondition that failed but a header that is not one (the document states its pattern)
        message = (
            f'If-Match must be an entity tag as sent in the ETag header, such as {current}; got "{if_match}"'
        )
        raise UnprocessableContent(
            message,
            errors=[ValidationIssue(loc=["header", IF_MATCH_HEADER], msg=message, type="if_match_syntax")],
            headers={ETAG_HEADER: current},
            current_etag=current,
        )
    if not if_match_satisfied(if_match, version, weak=weak):
        raise PreconditionFailed(
            f"the {resource} has changed since you read it (you sent {if_match.strip()}, it is now "
            f"{current}); read it again and reapply your change",
            headers={ETAG_HEADER: current},
            current_etag=current,
        )


def etag_response(status: int = 200) -> dict[int | str, dict[str, Any]]:
    """Documents the ETag header on a route's success answer: `responses={**etag_response(), **problems(...)}`."""
    return {
        status: {
            "headers": {
                ETAG_HEADER: {
                    "description": "The version of the resource; send it back in If-Match to update it.",
                    "schema": {"type": "string", "examples": ['"3"']},
                }
            }
        }
    }

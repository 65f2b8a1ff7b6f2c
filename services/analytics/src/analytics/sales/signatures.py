"""Standard Webhooks verification (https://www.standardwebhooks.com), pure: no I/O, no clock of its own.

A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`: space-separated
`v1,<base64>` entries, any one of which may match. The v1 signature is HMAC-SHA256, keyed with the bytes of
the secret (`whsec_` + base64), over `{id}.{timestamp}.{raw body}`. A timestamp more than the tolerance
(5 minutes) away from now is refused, so a captured delivery cannot be replayed later. Every check runs on
the raw body, before it is parsed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prm_contracts.problem import Unauthorized

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
DEFAULT_TOLERANCE = timedelta(minutes=5)
MAX_WEBHOOK_ID_LENGTH = 255
# A signature header longer than this is not a list of a few signatures; refusing it bounds the work.
MAX_SIGNATURE_HEADER_LENGTH = 4096
_WEBHOOK_ID = re.compile(rf"^[\x21-\x7e]{{1,{MAX_WEBHOOK_ID_LENGTH}}}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


class SignatureRefused(Unauthorized):
    """The delivery is not signed by the partner: nothing of it is looked at further."""

    slug, title = "webhook-signature-invalid", "Webhook signature not valid"


@dataclass(frozen=True)
class SignedDelivery:
    """The three Standard Webhooks headers of a delivery, checked for form."""

    webhook_id: str
    timestamp: int
    signatures: tuple[bytes, ...]

    @property
    def sent_at(self) -> datetime | None:
        """The timestamp as a time; None past what a datetime holds (year 9999), which the header's
        twelve digits allow."""
        try:
            return datetime.fromtimestamp(self.timestamp, tz=UTC)
        except (OverflowError, ValueError, OSError):
            return None


def secret_bytes(secret: str) -> bytes:
    """The key of a `whsec_…` secret: the base64 after the prefix (padding optional, as the reference
    libraries accept it)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of a delivery (what a sender puts in `webhook-signature`)."""
    digest = hmac.new(secret_bytes(secret), _signed_content(webhook_id, timestamp, body), hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode("ascii")


def _signed_content(webhook_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{webhook_id}.{timestamp}.".encode() + body


def signed_delivery(headers: Mapping[str, str]) -> SignedDelivery:
    """The delivery's headers, or 401 naming what is missing or malformed. `headers` is case-insensitive
    (Starlette's), as HTTP header names are."""
    webhook_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    signature = headers.get("webhook-signature") or ""
    missing = [
        name
        for name, value in (
            ("webhook-id", webhook_id),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signature),
        )
        if not value
    ]
    if missing:
        raise SignatureRefused(
            f"missing Standard Webhooks header(s): {', '.join(missing)}; sign each delivery with the "
            "partner's webhook secret"
        )
    if not _WEBHOOK_ID.fullmatch(webhook_id):
        raise SignatureRefused(
            f"webhook-id must be 1 to {MAX_WEBHOOK_ID_LENGTH} visible ASCII characters (such as msg_2Lk…)"
        )
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureRefused(
            "webhook-timestamp must be whole seconds since 1970-01-01 UTC, such as 1767225600"
        )
    if len(signature) > MAX_SIGNATURE_HEADER_LENGTH:
        raise SignatureRefused(f"webhook-signature is longer than {MAX_SIGNATURE_HEADER_LENGTH} characters")
    return SignedDelivery(
        webhook_id=webhook_id, timestamp=int(timestamp), signatures=_v1_signatures(signature)
    )


def _v1_signatures(header: str) -> tuple[bytes, ...]:
    """The decoded `v1` signatures of the header; other versions (such as the asymmetric `v1a`) and entries
    that are not base64 are skipped, as the specification asks."""
    found = []
    for entry in header.split(" "):
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return tuple(found)


def check_timestamp(
    delivery: SignedDelivery, *, now: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
) -> None:
    """401 when the delivery was signed more than `tolerance` before or after `now`."""
    # in seconds, not datetimes: a timestamp past year 9999 is refused like any other too far ahead
    skew = delivery.timestamp - now.timestamp()
    if abs(skew) > tolerance.total_seconds():
        direction = "old" if skew < 0 else "far in the future"
        sent_at = delivery.sent_at
        shown = "beyond year 9999" if sent_at is None else sent_at.isoformat()
        raise SignatureRefused(
            f"webhook-timestamp {delivery.timestamp} ({shown}) is too {direction}: it "
            f"must be within {int(tolerance.total_seconds())} s of now ({now.astimezone(UTC).isoformat()}); "
            "sign each attempt afresh, with the current time, and check the sender's clock"
        )


def verify(delivery: SignedDelivery, body: bytes, secrets: Iterable[str]) -> bool:
    """True when one of the delivery's `v1` signatures is made with one of `secrets` over this body.

    Every comparison is constant-time, and every pair is compared, so the time taken says nothing about which
    signature or secret came close.
    """
    content = _signed_content(delivery.webhook_id, delivery.timestamp, body)
    matched = False
    for secret in secrets:
        try:
            key = secret_bytes(secret)
        except (binascii.Error, ValueError):
            continue  # not a secret anything could have been signed with
        expected = hmac.new(key, content, hashlib.sha256).digest()
        for signature in delivery.signatures:
            matched |= hmac.compare_digest(expected, signature)
    return matched

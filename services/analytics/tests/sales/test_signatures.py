"""Standard Webhooks verification on its own: the specification's published vector, signatures made by the
independent `standardwebhooks` package, and each way a delivery is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from analytics.sales.signatures import SignatureRefused, check_timestamp, sign, signed_delivery, verify
from standardwebhooks.webhooks import Webhook

from .fakes import new_secret

pytestmark = pytest.mark.backend_independent

# The published test vector (standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py,
# test_sign_function; the same in every reference library).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def _headers(webhook_id: str, timestamp: int, signature: str) -> dict[str, str]:
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_the_published_vector_verifies() -> None:
    delivery = signed_delivery(_headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE))

    assert verify(delivery, VECTOR_BODY, [VECTOR_SECRET])
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_the_published_vector_fails_with_one_byte_changed() -> None:
    delivery = signed_delivery(_headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE))

    assert not verify(delivery, b'{"test": 2432232315}', [VECTOR_SECRET])
    assert not verify(delivery, VECTOR_BODY, [new_secret()])
    moved = signed_delivery(_headers(VECTOR_ID, VECTOR_TIMESTAMP + 1, VECTOR_SIGNATURE))
    assert not verify(moved, VECTOR_BODY, [VECTOR_SECRET])
    renamed = signed_delivery(_headers(VECTOR_ID + "x", VECTOR_TIMESTAMP, VECTOR_SIGNATURE))
    assert not verify(renamed, VECTOR_BODY, [VECTOR_SECRET])


def test_a_signature_of_the_standardwebhooks_package_verifies() -> None:
    secret = new_secret()
    body = '{"type": "sales.reported", "data": {"transactions": []}}'
    signature = Webhook(secret).sign("msg_1", NOW, body)

    delivery = signed_delivery(_headers("msg_1", int(NOW.timestamp()), signature))

    assert verify(delivery, body.encode(), [secret])


def test_any_one_of_several_signatures_and_any_one_of_several_secrets_will_do() -> None:
    old, new = new_secret(), new_secret()
    body = b"{}"
    entries = " ".join(
        [
            "v1a,c29tZXRoaW5nIGFzeW1tZXRyaWM=",  # another scheme's entry: skipped
            "v1,not base64!",  # malformed: skipped
            "v1," + "A" * 44,  # a well-formed wrong signature
            sign(old, "msg_2", 1_700_000_000, body),
        ]
    )
    delivery = signed_delivery(_headers("msg_2", 1_700_000_000, entries))

    assert verify(delivery, body, [new, old])
    assert not verify(delivery, body, [new])
    assert not verify(delivery, body, [])


def test_our_signatures_verify_with_the_standardwebhooks_package() -> None:
    """The other direction: what our README tells senders to compute is what the reference accepts."""
    secret = new_secret()
    now = datetime.now(UTC)  # the package checks the timestamp against the real clock
    body = b'{"a": 1}'
    signature = sign(secret, "msg_3", int(now.timestamp()), body)

    verified = Webhook(secret).verify(body, _headers("msg_3", int(now.timestamp()), signature))

    assert verified == {"a": 1}


@pytest.mark.parametrize(
    ("skew", "refused"),
    [
        (timedelta(seconds=0), False),
        (timedelta(seconds=-300), False),
        (timedelta(seconds=300), False),
        (timedelta(seconds=-301), True),
        (timedelta(seconds=301), True),
        (timedelta(days=-400), True),
    ],
)
def test_timestamps_further_than_five_minutes_from_now_are_refused(skew: timedelta, refused: bool) -> None:
    delivery = signed_delivery(_headers("msg_4", int((NOW + skew).timestamp()), "v1,AAAA"))

    if refused:
        with pytest.raises(SignatureRefused, match=r"webhook-timestamp .* is too"):
            check_timestamp(delivery, now=NOW)
    else:
        check_timestamp(delivery, now=NOW)


@pytest.mark.parametrize("timestamp", ["253402300800", "999999999999"])
def test_a_timestamp_past_year_9999_is_refused_as_too_far_ahead(timestamp: str) -> None:
    # twelve digits pass the header's form, yet no datetime holds them: a 401, not an error of the server
    delivery = signed_delivery(
        {"webhook-id": "m", "webhook-timestamp": timestamp, "webhook-signature": "v1,A"}
    )

    with pytest.raises(SignatureRefused, match=r"\(beyond year 9999\) is too far in the future"):
        check_timestamp(delivery, now=NOW)


@pytest.mark.parametrize(
    ("headers", "complaint"),
    [
        ({}, "missing Standard Webhooks header.*webhook-id, webhook-timestamp, webhook-signature"),
        ({"webhook-id": "m", "webhook-timestamp": "1"}, "missing .*webhook-signature"),
        ({"webhook-id": "m", "webhook-timestamp": "1.5", "webhook-signature": "v1,A"}, "whole seconds"),
        ({"webhook-id": "m", "webhook-timestamp": "-1", "webhook-signature": "v1,A"}, "whole seconds"),
        ({"webhook-id": "m m", "webhook-timestamp": "1", "webhook-signature": "v1,A"}, "visible ASCII"),
        ({"webhook-id": "m" * 256, "webhook-timestamp": "1", "webhook-signature": "v1,A"}, "visible ASCII"),
        ({"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1," + "A" * 5000}, "longer"),
    ],
)
def test_malformed_headers_are_refused_with_what_is_wrong(headers: dict[str, str], complaint: str) -> None:
    with pytest.raises(SignatureRefused, match=complaint):
        signed_delivery(headers)

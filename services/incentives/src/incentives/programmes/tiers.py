"""The tier keys a version's eligibility names, checked against the registry's ladder before terms are stored
or tried: a key no tier has ("Gold" for `gold`, a typo) would make the programme pay nobody, silently.

Incentives keeps no copy of the ladder (its replica holds the tiers partners have held, not a tier nobody holds
yet), so the registry, which owns it, is asked; when it cannot answer, nothing is stored (503, retry)."""

from __future__ import annotations

from prm_contracts.clients.registry import RegistryClient
from prm_contracts.incentives import VersionTerms
from prm_contracts.problem import AppError, UnprocessableContent, ValidationIssue
from prm_kit.db import end_reading
from prm_kit.http_clients import cannot_ask
from sqlalchemy.ext.asyncio import AsyncSession


class UnknownTier(UnprocessableContent):
    slug, title = "unknown-tier", "Eligibility names a tier the registry does not have"
    members = {"known_tiers": "The registry's tier keys, lowest rank first."}


async def check_tiers(
    session: AsyncSession, registry: RegistryClient, terms: VersionTerms, loc: list[str | int]
) -> None:
    """422 `unknown-tier` for a key of `eligibility.tiers` the registry's ladder lacks; 503 with Retry-After
    when the registry cannot be asked. Call it before anything is written (read, call, then write)."""
    tiers = terms.eligibility.tiers
    if tiers is None:
        return
    await end_reading(session)
    try:
        ladder = [tier.key for tier in await registry.tiers()]
    except AppError as error:
        raise cannot_ask("registry", "the tier keys of eligibility.tiers") from error
    unknown = [(position, key) for position, key in enumerate(tiers) if key not in ladder]
    if not unknown:
        return
    named = ", ".join(repr(key) for _, key in unknown)
    raise UnknownTier(
        f"eligibility.tiers: the registry has no tier {named} (tier keys are lower-case); its tiers are "
        f"{', '.join(ladder) or 'none'}",
        errors=[
            ValidationIssue(
                loc=[*loc, "eligibility", "tiers", position],
                msg=f"no tier {key!r} in the registry",
                type="unknown_tier",
            )
            for position, key in unknown
        ],
        known_tiers=ladder,
    )

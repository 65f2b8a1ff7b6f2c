"""Who is calling: the principal the gateway verified and forwards to services."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from prm_contracts.problem import Forbidden

ADMIN_SCOPE = "admin"
INTERNAL_SCOPE = "internal"
# What the gateway grants a caller without an API key on the public application form, and nothing else.
APPLICATION_SUBMIT_SCOPE = "applications:submit"
# Subjects of callers the gateway let in without a credential: they are many people behind one subject.
ANONYMOUS_SUBJECT_PREFIX = "public:"


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="e.g. 'key:3f2a…' for an API key, 'service:scoring' for a service.")
    scopes: frozenset[str] = frozenset()
    partner_id: UUID | None = Field(
        default=None, description="Set when the caller may act for one partner only."
    )

    @property
    def is_anonymous(self) -> bool:
        """A caller without a credential (the public application form): anyone may be behind it."""
        return self.subject.startswith(ANONYMOUS_SUBJECT_PREFIX)

    @property
    def effective_scopes(self) -> frozenset[str]:
        """The scopes that count: `admin` and `internal` mean nothing for a principal bound to one partner
        (a partner never acts vendor-wide, whatever its credential was given)."""
        if self.partner_id is None:
            return self.scopes
        return self.scopes - {ADMIN_SCOPE, INTERNAL_SCOPE}

    def has_scope(self, scope: str) -> bool:
        scopes = self.effective_scopes
        if ADMIN_SCOPE in scopes or INTERNAL_SCOPE in scopes:
            return True
        if scope in scopes:
            return True
        # write implies read on the same resource
        resource, _, action = scope.partition(":")
        return action == "read" and f"{resource}:write" in scopes

    def require_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise Forbidden(f"this operation needs the scope '{scope}'")

    def require_vendor(self, action: str) -> None:
        """Refuse a partner's own credential an operation only the vendor's people may do (403)."""
        if self.partner_id is not None:
            raise Forbidden(f"a partner's own credential cannot {action}")

    def partner_scope(self, requested: UUID | None) -> UUID | None:
        """The partner this call may act on: a bound principal only ever its own."""
        if self.partner_id is None:
            return requested
        if requested is not None and requested != self.partner_id:
            raise Forbidden("this credential may only act on its own partner")
        return self.partner_id

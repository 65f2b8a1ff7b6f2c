"""Settings of the Scoring service (`PRM_*` environment variables)."""

from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from fastapi import Depends
from prm_contracts.scoring import DEFAULT_MODEL_NAME
from prm_kit.settings import (
    BaseServiceSettings,
    CommaSeparated,
    app_settings,
    database_url_field,
    event_subscribers_field,
)
from pydantic import Field


class Settings(BaseServiceSettings):
    service_name: ClassVar[str] = "scoring"
    # its events handler: scoring.events (partner records, tiers, KPI changes keep the stored scores fresh)
    subscribes_to: ClassVar[tuple[str, ...]] = ("registry", "analytics")

    database_url: str | None = database_url_field("SCORING")
    event_subscribers: CommaSeparated = event_subscribers_field("SCORING")

    application_model: str = Field(
        default=DEFAULT_MODEL_NAME,
        pattern=r"^[a-z][a-z0-9-]{0,79}$",
        description="The evaluation model whose current (latest published) version screens partner "
        "applications for the registry.",
    )

    # the stored scores (scores/) and their refresh from events
    score_refresh_seconds: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="How often the background worker looks for partners whose stored score is stale (an event "
        "or a run marked them); 0 runs no worker (tests drive `refresh_once` themselves).",
    )
    score_refresh_batch: int = Field(
        default=50, ge=1, le=1000, description="How many stale partners one round of the worker refreshes."
    )
    score_max_age_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 366,
        description="A stored score older than this is refreshed even without an event, since signals that "
        "depend on the date (certifications expiring, days without a sale) age by themselves; 0: never.",
    )

    # health signals (health/)
    health_period: Literal["month", "quarter"] = Field(
        default="quarter",
        description="The period KPI-based signals compare: the last complete one and the one before it.",
    )
    health_attainment_threshold: Decimal = Field(
        default=Decimal("0.8"),
        ge=0,
        le=10,
        description="Target attainment (a fraction) under which a partner is flagged; under half of it the "
        "signal is critical.",
    )
    health_nps_drop_points: Decimal = Field(
        default=Decimal("10"),
        gt=0,
        le=200,
        description="An NPS fall larger than this many points from the previous period is flagged.",
    )
    health_no_sales_days: int = Field(
        default=45,
        ge=1,
        le=3650,
        description="Days without a reported sale after which a partner is flagged (critical after twice as many).",
    )
    health_certification_days: int = Field(
        default=60, ge=1, le=3650, description="Certifications expiring within this many days are flagged."
    )


SettingsDep = Annotated[Settings, Depends(app_settings)]

"""Every ORM model of the service, imported here so that `Base.metadata` knows all tables: migrations/env.py
imports this module, so autogenerate compares the database with every model.

Add a domain's models as `from scoring.<domain>.models import <Model>` (and to `__all__`); the test
`tests/test_models_and_migrations.py` fails until a migration creates what they declare.
"""

from scoring.assessments.models import Assessment, AssessmentCriterion
from scoring.db import Base
from scoring.evaluation_models.models import EvaluationModel, EvaluationModelVersion
from scoring.improvement_plans.models import ImprovementGoal, ImprovementPlan
from scoring.scores.models import PartnerScore, ScoreRefresh
from scoring.tier_recommendations.models import TierRecommendation

__all__ = [
    "Assessment",
    "AssessmentCriterion",
    "Base",
    "EvaluationModel",
    "EvaluationModelVersion",
    "ImprovementGoal",
    "ImprovementPlan",
    "PartnerScore",
    "ScoreRefresh",
    "TierRecommendation",
]

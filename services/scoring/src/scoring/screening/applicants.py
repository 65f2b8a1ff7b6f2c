"""What an applicant's facts mean to a model version; pure, no I/O.

Criterion inputs, by criterion key (keys no criterion has are ignored; an input of the wrong kind for its
criterion counts as missing, so the criterion's missing-input rule applies):
- from the company facts: `years_in_business` (this calendar year minus `year_founded`, never below 0),
  `employee_count`, `segment_count` (customer segments served), `product_line_count` and `industry_count`
  (specialisations);
- any other criterion key: the questionnaire answer of that name (a boolean, a whole number or a decimal
  string).

Gate facts: years in business, employees and annual revenue from the company facts; a certified technical
contact from the answer `certified_technical_contact` (a boolean), else from `certified_engineers` (a whole
number: at least 1 means yes); open compliance violations from the answer `open_compliance_violations` (a
whole number), else 0, as an applicant has no compliance record yet; questionnaire gates read the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from prm_contracts.scoring import ApplicantFacts, CriterionDefinition, GateFacts, parse_input
from pydantic_core import PydanticCustomError

from scoring.evaluation_models.maths import RawInput, UnfitInput, normalise


def years_in_business(applicant: ApplicantFacts, *, today: date) -> int | None:
    return None if applicant.year_founded is None else max(today.year - applicant.year_founded, 0)


def company_inputs(applicant: ApplicantFacts, *, today: date) -> dict[str, RawInput]:
    found: dict[str, RawInput | None] = {
        "years_in_business": years_in_business(applicant, today=today),
        "employee_count": applicant.employee_count,
        "segment_count": len(applicant.segments_served),
        "product_line_count": len(applicant.specialisations.product_lines),
        "industry_count": len(applicant.specialisations.industries),
    }
    return {key: value for key, value in found.items() if value is not None}


def _answer_input(answer: Any) -> RawInput | None:
    try:
        return parse_input(answer)
    except PydanticCustomError:
        return None


def criterion_inputs(
    applicant: ApplicantFacts, criteria: Sequence[CriterionDefinition], *, today: date
) -> dict[str, RawInput]:
    """The input of each criterion the applicant's facts give a usable value for."""
    company = company_inputs(applicant, today=today)
    inputs: dict[str, RawInput] = {}
    for criterion in criteria:
        value = company.get(criterion.key)
        if value is None and criterion.key in applicant.questionnaire:
            value = _answer_input(applicant.questionnaire[criterion.key])
        if value is None:
            continue
        try:
            normalise(criterion.normaliser, value)
        except UnfitInput:
            continue
        inputs[criterion.key] = value
    return inputs


def _whole_number(answer: Any) -> int | None:
    return answer if isinstance(answer, int) and not isinstance(answer, bool) else None


def gate_facts(applicant: ApplicantFacts, *, today: date) -> GateFacts:
    answers = applicant.questionnaire
    certified = answers.get("certified_technical_contact")
    if not isinstance(certified, bool):
        engineers = _whole_number(answers.get("certified_engineers"))
        certified = None if engineers is None else engineers >= 1
    violations = _whole_number(answers.get("open_compliance_violations"))
    return GateFacts(
        years_in_business=years_in_business(applicant, today=today),
        employees=applicant.employee_count,
        annual_revenue=applicant.annual_revenue,
        certified_technical_contact=certified,
        open_compliance_violations=0 if violations is None else violations,
        answers=answers,
    )

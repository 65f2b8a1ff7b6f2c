"""Incentive programmes: versioned terms (eligibility and rules), draft → published."""

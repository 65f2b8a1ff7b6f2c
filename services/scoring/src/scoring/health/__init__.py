"""Health signals: pure rules over KPI snapshots and registry facts, and the list of partners at risk."""

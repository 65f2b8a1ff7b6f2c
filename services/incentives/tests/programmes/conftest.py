from ..calculation_runs.conftest import analytics, app

__all__ = ["analytics", "app"]

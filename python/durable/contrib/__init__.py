"""Optional integrations (mirrors ``temporalio.contrib``); each needs its extra installed."""

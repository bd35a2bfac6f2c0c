"""``temporalio.api.workflowservice``."""

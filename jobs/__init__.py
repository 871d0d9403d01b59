"""The scheduler (APScheduler 3.x), job functions, reconciliation and delivery."""

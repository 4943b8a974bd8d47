"""Grid governance: tasks with one state machine, on-site household scores, reused-photo
evidence checks and the monthly reports."""

from app.services.grid import flow, overdue, reports, scores, tasks, views

__all__ = ["flow", "overdue", "reports", "scores", "tasks", "views"]

"""Grid governance: tasks with one state machine, on-site household scores, reused-photo
evidence checks and the monthly reports."""

from app.services.grid import overdue, reports, scores, tasks, views

__all__ = ["overdue", "reports", "scores", "tasks", "views"]

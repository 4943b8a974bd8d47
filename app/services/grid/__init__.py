"""Grid governance: tasks with one state machine, on-site household scores, reused-photo
evidence checks and the monthly reports."""

from app.services.grid import reports, scores, tasks, views

__all__ = ["reports", "scores", "tasks", "views"]

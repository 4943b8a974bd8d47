"""Grid governance: tasks with one state machine, on-site household scores, reused-photo
evidence checks and the monthly reports."""

from app.services.grid import flow, overdue, reports, scores, tasks, views
from app.services.grid.score_list import ScoreLine, recent_scores

__all__ = [
    "ScoreLine",
    "flow",
    "overdue",
    "recent_scores",
    "reports",
    "scores",
    "tasks",
    "views",
]

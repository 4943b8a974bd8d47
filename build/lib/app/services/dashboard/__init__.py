"""The admin's dashboard (工作台): the month's numbers across domains and the queues waiting,
and the workbench's charts month by month."""

from app.services.dashboard.summary import dashboard, queue_counts
from app.services.dashboard.trends import trends

__all__ = ["dashboard", "queue_counts", "trends"]

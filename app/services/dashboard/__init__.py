"""The admin's dashboard (工作台): the month's numbers across domains and the queues waiting."""

from app.services.dashboard.summary import dashboard

__all__ = ["dashboard"]

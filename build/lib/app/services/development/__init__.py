"""Admitting Party members by the "525" procedure: the 25 steps as data, cases that move one
step at a time with the procedure's rules enforced, and the candidate's public notice."""

from app.services.development import cases, notices, reminders, steps, views

__all__ = ["cases", "notices", "reminders", "steps", "views"]

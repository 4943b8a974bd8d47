"""Daily service at the village office: the duty rota, and villagers' service requests (代办)
taken by the cadre on duty, settled by one state machine, rated once, reported monthly."""

from app.services.duty import reports, requests, shifts, views

__all__ = ["reports", "requests", "shifts", "views"]

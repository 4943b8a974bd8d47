"""Notifications: the inbox every domain writes to through ``notify``, WeChat subscribe
messages sent from it within each person's quota and never twice, and admins' notices."""

from app.services.notifications import delivery, inbox, notices, retention, subscriptions
from app.services.notifications.delivery import Outbox, deliver_due
from app.services.notifications.inbox import Note, notify, notify_each

__all__ = [
    "Note",
    "Outbox",
    "deliver_due",
    "delivery",
    "inbox",
    "notices",
    "notify",
    "notify_each",
    "retention",
    "subscriptions",
]

"""Party dues (党费): the rates as data, each member's base and monthly bills, payments on the
phone (WeChat Pay) and in cash with reversals, arrears and their reminders, the dues book and
the yearly disclosure."""

from app.services.dues import bills, orders, papers, payments, rates, reminders

__all__ = ["bills", "orders", "papers", "payments", "rates", "reminders"]

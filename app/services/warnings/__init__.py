"""Early warnings: the health of each branch, month by month, before the inspection."""

from app.services.warnings import health

__all__ = ["health"]

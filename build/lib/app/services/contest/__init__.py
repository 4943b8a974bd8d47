"""The strongest-branch contest (最强党支部): criteria judged on site or computed from the
town's data, judges' sheets, the ranking, and the close that publishes the winners."""

from app.services.contest import contests, metrics, papers

__all__ = ["contests", "metrics", "papers"]

"""Integral points: the one ledger every point moves through, scoring rules, awards and
reviews, appeals, leaderboards and stars."""

from app.services.points import appeals, awards, leaderboard, ledger, scoring_rules, stars
from app.services.points.ledger import InsufficientPoints

__all__ = [
    "InsufficientPoints",
    "appeals",
    "awards",
    "leaderboard",
    "ledger",
    "scoring_rules",
    "stars",
]

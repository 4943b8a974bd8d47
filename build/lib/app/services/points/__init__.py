"""Integral points: the one ledger every point moves through, scoring rules, awards and
reviews, appeals, leaderboards and stars, a village's monthly ledger and the printed papers."""

from app.services.points import (
    appeals,
    awards,
    balance_cache,
    holdings,
    leaderboard,
    ledger,
    ledger_check,
    merkle,
    nightly,
    papers,
    roots,
    scoring_rules,
    stars,
    village_ledger,
)
from app.services.points.ledger import InsufficientPoints

__all__ = [
    "InsufficientPoints",
    "appeals",
    "awards",
    "balance_cache",
    "holdings",
    "leaderboard",
    "ledger",
    "ledger_check",
    "merkle",
    "nightly",
    "papers",
    "roots",
    "scoring_rules",
    "stars",
    "village_ledger",
]

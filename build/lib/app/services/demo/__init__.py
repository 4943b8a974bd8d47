"""Demo seeders for `xiangzhi seed-demo`; imported only by the command line."""

from app.services.demo.card import DemoPhone, demo_logins, demo_phones
from app.services.demo.points import refresh_party_days
from app.services.demo.town import DEMO_TOWN, seed_demo

__all__ = [
    "DEMO_TOWN",
    "DemoPhone",
    "demo_logins",
    "demo_phones",
    "refresh_party_days",
    "seed_demo",
]

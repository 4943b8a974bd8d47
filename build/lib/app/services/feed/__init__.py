"""The publicity feed: posts and their review, likes and views, disclosures, content safety
and WeChat's verdicts on photos."""

from app.services.feed import content_safety, first_page_cache, push
from app.services.feed.disclosures import disclosure_compliance
from app.services.feed.posts import create_post, present, review
from app.services.feed.reading import (
    feed,
    first_page_json,
    flush_views,
    read,
    review_query,
    review_queue,
    set_like,
)

__all__ = [
    "content_safety",
    "create_post",
    "disclosure_compliance",
    "feed",
    "first_page_cache",
    "first_page_json",
    "flush_views",
    "present",
    "push",
    "read",
    "review",
    "review_query",
    "review_queue",
    "set_like",
]

"""A member's Party life over time: the member file and Party age, mobile members out and in
with their thought reports and the rota of who hosts them, transfers of organisational
relations with the introduction letter, re-education that ends, and the political birthday."""

from app.services.members import (
    anniversaries,
    elsewhere,
    files,
    letters,
    mobile,
    reeducation,
    transfers,
)

__all__ = ["anniversaries", "elsewhere", "files", "letters", "mobile", "reeducation", "transfers"]

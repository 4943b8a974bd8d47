"""A rule's code made from its title when the admin leaves it out: 环境卫生 → huanjing_weisheng,
unique within the town (huanjing_weisheng_2 for the next)."""

import re

from pypinyin import lazy_pinyin
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.points import ScoringRule

_MAX = 56  # room for a "_99" suffix within the 64 the column allows


def code_from_title(title: str) -> str:
    tokens = [re.sub(r"[^a-z0-9]", "", t.lower()) for t in lazy_pinyin(title)]
    tokens = [t for t in tokens if t]
    # Two syllables to a word reads like the words themselves: huanjing_weisheng.
    words = ["".join(tokens[i : i + 2]) for i in range(0, len(tokens), 2)]
    code = "_".join(words)[:_MAX].strip("_") or "rule"
    return code if code[0].isalpha() else f"r_{code}"


async def free_code(session: AsyncSession, *, town_id: int, title: str) -> str:
    base = code_from_title(title)
    taken = set(
        (
            await session.exec(
                select(ScoringRule.code).where(
                    col(ScoringRule.town_id) == town_id, col(ScoringRule.code).startswith(base)
                )
            )
        ).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"

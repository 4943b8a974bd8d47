"""Shapes shared by every domain's answers."""

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class ListPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None

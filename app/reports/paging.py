"""Pages of a paginated report list; exports walk the same pages, so a file holds exactly
what the pages show."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def each_item(fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    """Every item of a paginated report, page by page."""
    page = 1
    while True:
        result = fetch(page)
        yield from result.items
        if not result.has_next:
            return
        page += 1

"""The awaiting half of ``AsyncClient.with_metadata`` (the extension builds the view)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from .models import ResponseMetadata

T = TypeVar("T")


async def await_with_metadata(
    awaitable: Awaitable[T], read: Callable[[], ResponseMetadata]
) -> tuple[T, ResponseMetadata]:
    """``(await awaitable, read())``: the result, then the view's metadata."""
    result = await awaitable
    return result, read()

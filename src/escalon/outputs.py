"""Filling the API's output schemas from stored rows: part of the shared kernel, so that every
domain's views show a row the same way without writing each field out again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from escalon.core.state import from_us

Out = TypeVar("Out", bound=BaseModel)


def from_row(schema: type[Out], row: object, *, instants: Iterable[str] = (), **values: Any) -> Out:
    """`schema` with each field read from the row's attribute of the same name, except the
    fields given in `values` (those the row stores in another form, or names otherwise);
    `instants` name fields the row stores as µs since the epoch (None stays None)."""
    for name in instants:
        stored = getattr(row, name)
        values[name] = None if stored is None else from_us(stored)
    fields = schema.model_fields
    unknown = values.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{schema.__name__} has no field {', '.join(sorted(unknown))}")
    return schema.model_validate(
        {name: values[name] if name in values else getattr(row, name) for name in fields}
    )

"""Filling the API's output schemas from stored rows: part of the shared kernel, so that every
domain's views show a row the same way without writing each field out again."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Out = TypeVar("Out", bound=BaseModel)


def from_row(schema: type[Out], row: object, **values: Any) -> Out:
    """`schema` with each field read from the row's attribute of the same name, except the
    fields given in `values` (those the row stores in another form, or names otherwise)."""
    fields = schema.model_fields
    unknown = values.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{schema.__name__} has no field {', '.join(sorted(unknown))}")
    return schema.model_validate(
        {name: values[name] if name in values else getattr(row, name) for name in fields}
    )

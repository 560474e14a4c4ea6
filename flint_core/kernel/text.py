"""Which text Flint accepts: no control characters other than tab, line feed and carriage return.

PostgreSQL cannot store NUL at all, and none of the other C0/C1 control characters (nor DEL) belongs in a
name, an email, a code or an id. One rule for every database and face: inputs holding one are refused by the
input models (``schema.Input``), and an id holding one names nothing (docs/errors.md#parameter_invalid).
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Path = tuple[str | int, ...]


def has_control_character(text: str) -> bool:
    return _CONTROL.search(text) is not None


def control_character_at(value: Any, path: Path = ()) -> Path | None:
    """Where the first string (or object key) holding a control character is, at any depth; None if clean."""
    if isinstance(value, str):
        return path if has_control_character(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and has_control_character(key):
                return (*path, key)
            found = control_character_at(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = control_character_at(item, (*path, index))
            if found is not None:
                return found
    return None

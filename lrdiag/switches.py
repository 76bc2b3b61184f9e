"""On/off switches a Monitor reads from an argument, else from the environment."""

from __future__ import annotations

import os

_FALSE = ("0", "false", "no", "off")


def switch(flag: bool | None, variable: str) -> bool:
    """``flag`` when given, else the environment ``variable`` (on unless 0/false/no/off)."""
    if flag is not None:
        return bool(flag)
    return os.environ.get(variable, "1").strip().lower() not in _FALSE

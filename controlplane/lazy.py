"""Package names loaded on first use (PEP 562), so importing one light module of a
package does not load all of it (a CLI that starts fast).

A package lists its public names and the modules that define them, imports them under
``TYPE_CHECKING`` for the type checker, and sets ``__getattr__ = exports(__name__,
TABLE)``. Imports nothing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name of ``table`` imported from its
    module when first asked for, then kept in the package's namespace."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__

"""Make the repository's ``bench`` package importable in its tests.

``bench`` is not (yet) one of the packages the editable install maps, and pytest's
importlib mode does not put the repository root on ``sys.path``. Once ``bench*`` is in
``[tool.setuptools.packages.find]`` this file changes nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("bench") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

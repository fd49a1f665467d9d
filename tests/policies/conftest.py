"""Policy-test setup: make ``policy_fixtures`` importable by the test modules.

pytest runs with ``--import-mode=importlib``, which does not put test folders on
``sys.path``; the shared builders live in a plain module next to this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

"""Machine-readable output for ``--json``: one document on stdout, nothing else."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(payload: Any, *, indent: int | None = None) -> None:
    """Write ``payload`` as JSON plus a newline (paths, datetimes and the like as strings)."""
    json.dump(payload, sys.stdout, indent=indent, default=str)
    sys.stdout.write("\n")

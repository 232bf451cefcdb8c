"""The code version a job records with its outputs (style rule 10), in the shape the TypeScript
report header uses: ``{"git_commit": ..., "dirty": ...}``.

``BURNQED_CODE_VERSION`` (set by a stage that knows better, e.g. ``<commit>`` or ``<commit>+dirty``)
wins; else git is asked about the repository this file lives in; else the commit is "unknown".
"""
from __future__ import annotations

import os
import subprocess
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def code_version() -> dict[str, Any]:
    given = os.environ.get("BURNQED_CODE_VERSION", "").strip()
    if given:
        commit, _, flag = given.partition("+")
        return {"git_commit": commit, "dirty": flag == "dirty"}
    try:
        commit = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", REPO_ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": "unknown", "dirty": False}
    return {"git_commit": commit, "dirty": bool(status.strip())}

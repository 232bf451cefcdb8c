"""The artifact schemas as the TypeScript side declares them (src/artifacts/schemas.ts), read
from the exported python/burnqed/schemas.json. Python jobs use these to check the JSON Lines /
column names they read and write, so the two languages cannot drift apart silently."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMAS_JSON = Path(__file__).with_name("schemas.json")


@lru_cache(maxsize=1)
def load_schemas() -> dict[str, Any]:
    return json.loads(SCHEMAS_JSON.read_text(encoding="utf-8"))


def columns(table: str) -> list[str]:
    tables = load_schemas()["tables"]
    if table not in tables:
        raise KeyError(f"no table schema '{table}' in {SCHEMAS_JSON} (have: {', '.join(tables)})")
    return [c["name"] for c in tables[table]["columns"]]


def check_record(table: str, record: dict[str, Any], where: str) -> None:
    """Raise ValueError naming `where` and the differing field when `record` does not have exactly the table's columns."""
    expected = columns(table)
    missing = [c for c in expected if c not in record]
    extra = [k for k in record if k not in expected]
    if missing or extra:
        raise ValueError(f"{where}: record does not match schema '{table}': missing {missing}, unexpected {extra}")

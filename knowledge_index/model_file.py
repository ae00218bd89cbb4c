"""The JSON files of the small linear models fitted on the real set's tune split (the
re-ranker's and the abstention's): their weights, named features and provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read(path: Path, features: tuple[str, ...]) -> dict[str, Any]:
    """The file's fields; a file fitted on other features than the code's is refused."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != features:
        raise ValueError(f"{path}: features {data['features']} are not {list(features)}")
    return data


def weights(data: dict[str, Any]) -> tuple[float, ...]:
    return tuple(float(w) for w in data["weights"])


def write(
    path: Path,
    *,
    version: int,
    features: tuple[str, ...],
    weights: tuple[float, ...],
    fitted_on: str,
    **extra: float,
) -> None:
    data = {
        "version": version,
        "features": list(features),
        "weights": [round(w, 6) for w in weights],
        **{name: round(value, 6) for name, value in extra.items()},
        "fitted_on": fitted_on,
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

"""The JSON files of the small linear models fitted on the real set's tune split (the
re-ranker's and the abstention's): their weights, named features and provenance."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, TypeVar

Model = TypeVar("Model")


def load(model: type[Model], path: Path, features: tuple[str, ...]) -> Model:
    """The model in the file; a file fitted on other features than the code's is refused."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != features:
        raise ValueError(f"{path}: features {data['features']} are not {list(features)}")
    data["weights"] = tuple(float(w) for w in data["weights"])
    names = {field.name for field in dataclasses.fields(model)}  # type: ignore[arg-type]
    return model(**{name: value for name, value in data.items() if name in names})


def dump(model: object, path: Path, features: tuple[str, ...]) -> None:
    """`version`, `features`, the weights and any other number rounded to 6 places, then
    `fitted_on`."""
    values = dataclasses.asdict(model)  # type: ignore[call-overload]
    data: dict[str, Any] = {"version": values.pop("version"), "features": list(features)}
    fitted_on = values.pop("fitted_on")
    data["weights"] = [round(w, 6) for w in values.pop("weights")]
    data.update({name: round(value, 6) for name, value in values.items()})
    data["fitted_on"] = fitted_on
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

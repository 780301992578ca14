"""The manifest: the few hundred bytes published beside each model artifact.

Reading it answers "can the published model serve these settings and this data?" without
unpickling the model (hundreds of MB on the shared catalog), so whoever decides on reuse reads
it first and loads the artifact only once, when the answer is yes. Written by
:meth:`recsys.lifecycle.engine.Engine.save`, read by the lifecycle and by the Quality page's
records (which model a figure belongs to).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

#: The pickled engine and its manifest, side by side in each published version's folder.
ARTIFACT = "engine.pkl"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What was published: the format, the training inputs' fingerprints and the parameters."""

    format: int
    fingerprint: str
    catalog_fingerprint: str
    trained_at: str
    n_interactions: int
    fit_seconds: float
    params: dict[str, Any]
    #: The collaborative item model serving: "ease" or "als" ("" in manifests before it).
    collaborative_engine: str = ""

    @property
    def trained(self) -> datetime:
        """When the model was trained (ValueError in a manifest that does not say)."""
        return datetime.fromisoformat(self.trained_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: object) -> Manifest:
        """The manifest in ``raw``; ValueError when it is not one (damaged or foreign)."""
        if not isinstance(raw, dict):
            raise ValueError("a manifest is a JSON object")
        try:
            return cls(
                format=int(raw["format"]),
                fingerprint=str(raw["fingerprint"]),
                catalog_fingerprint=str(raw.get("catalog_fingerprint", "")),
                trained_at=str(raw.get("trained_at", "")),
                n_interactions=int(raw.get("n_interactions", 0)),
                fit_seconds=float(raw.get("fit_seconds", 0.0)),
                params=dict(raw.get("params") or {}),
                collaborative_engine=str(raw.get("collaborative_engine", "")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a model manifest: {exc}") from exc


def write(folder: Path, manifest: Manifest) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2))


def read(folder: Path) -> Manifest:
    """The manifest in a version's folder (OSError when absent, ValueError when damaged)."""
    return Manifest.from_dict(json.loads((folder / MANIFEST).read_text()))

"""The evaluation report: one typed value that writes and reads its own JSON.

``python -m recsys evaluate`` and the Quality page's "Run the evaluation" produce it; the Quality
page reads its attributes. The JSON layout is the one earlier versions wrote (``models`` keyed by
model name, metric names such as ``ndcg@10``), so reports saved before this type existed still
load. Fields a report does not carry load as their defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

#: The metric the sweeps and the tuning optimise (and the JSON key it is written under).
SWEEP_METRIC = "ndcg@10"


@dataclass(frozen=True)
class SweepPoint:
    """Test (or validation) NDCG@10 of the hybrid at one content weight ``w1``."""

    w1: float
    w2: float
    ndcg: float

    def to_dict(self) -> dict[str, float]:
        return {"w1": self.w1, "w2": self.w2, SWEEP_METRIC: self.ndcg}

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> SweepPoint:
        return cls(float(row["w1"]), float(row["w2"]), float(row[SWEEP_METRIC]))


@dataclass(frozen=True)
class Tuning:
    """What the validation split chose, and how well the choice did there."""

    ease_l2: float | None = None
    beta: float | None = None
    w1: float | None = None
    w2: float | None = None
    validation_ndcg: float | None = None
    validation_collaborative: Mapping[str, float] = field(default_factory=dict)
    n_validation_folds: int = 0
    sweep: tuple[SweepPoint, ...] = ()
    #: Chosen on the new-user protocol's validation group (served / cold-start NDCG@10).
    w_prior: float | None = None
    trust_likes: int | None = None
    validation_new_users: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ease_l2": self.ease_l2,
            "beta": self.beta,
            "w1": self.w1,
            "w2": self.w2,
            f"validation_{SWEEP_METRIC}": self.validation_ndcg,
            "validation_collaborative": dict(self.validation_collaborative),
            "n_validation_folds": self.n_validation_folds,
            "w_prior": self.w_prior,
            "trust_likes": self.trust_likes,
            "validation_new_users": dict(self.validation_new_users),
        }

    @classmethod
    def from_dict(cls, tuned: Mapping[str, Any], sweep: list[Mapping[str, Any]]) -> Tuning:
        return cls(
            ease_l2=tuned.get("ease_l2"),
            beta=tuned.get("beta"),
            w1=tuned.get("w1"),
            w2=tuned.get("w2"),
            validation_ndcg=tuned.get(f"validation_{SWEEP_METRIC}"),
            validation_collaborative=dict(tuned.get("validation_collaborative") or {}),
            n_validation_folds=int(tuned.get("n_validation_folds") or 0),
            sweep=tuple(SweepPoint.from_dict(r) for r in sweep),
            w_prior=tuned.get("w_prior"),
            trust_likes=tuned.get("trust_likes"),
            validation_new_users=dict(tuned.get("validation_new_users") or {}),
        )


@dataclass(frozen=True)
class ProtocolInfo:
    """How the numbers were made: data, split, relevance, candidates, tuning."""

    source: str = ""
    split: str = ""
    relevant: str = ""
    candidates: str = ""
    content_profile: str = ""
    ks: tuple[int, ...] = ()
    n_users_evaluated: int | None = None
    n_train_ratings: int | None = None
    n_test_ratings: int | None = None
    n_items: int | None = None
    features_used: tuple[str, ...] = ()
    tuning_rule: str = ""
    hybrid: str = ""
    tuned: Tuning = field(default_factory=Tuning)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["ks"] = list(self.ks)
        out["features_used"] = list(self.features_used)
        out["tuning"] = out.pop("tuning_rule")
        out["tuned"] = self.tuned.to_dict()
        out["validation_sweep"] = [p.to_dict() for p in self.tuned.sweep]
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ProtocolInfo:
        names = {f.name for f in fields(cls)} - {"tuned", "tuning_rule", "ks", "features_used"}
        return cls(
            **{k: v for k, v in raw.items() if k in names},
            ks=tuple(int(k) for k in raw.get("ks", ())),
            features_used=tuple(raw.get("features_used", ())),
            tuning_rule=str(raw.get("tuning", "")),
            tuned=Tuning.from_dict(raw.get("tuned") or {}, raw.get("validation_sweep") or []),
        )


@dataclass(frozen=True)
class RatingAccuracy:
    """SVD's rating prediction error on the held-out ratings."""

    rmse: float
    mae: float


@dataclass(frozen=True)
class NewUserTable:
    """One scenario of the new-user protocol: every row's metrics over its held-out users."""

    scenario: str  # "recent" | "warm"
    description: str
    n_users: int
    models: Mapping[str, Mapping[str, float]]
    baseline: str = "popular_in_genres"
    #: row -> metric -> 95 % bootstrap interval of the row's metric over the baseline's
    intervals: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    #: users who liked something after onboarding (those ``next_ndcg@10`` averages over)
    n_next_users: int | None = None
    #: the table's headline metric (``next_ndcg@10`` for new users; the TV proxy: ndcg@10)
    primary: str = SWEEP_METRIC

    def ratio(self, model: str = "served", metric: str | None = None) -> float | None:
        """``model``'s metric (default: the primary) over the baseline's (the cold-start
        list before onboarding)."""
        metric = metric or self.primary
        base = self.models.get(self.baseline, {}).get(metric)
        value = self.models.get(model, {}).get(metric)
        return None if not base or value is None else float(value / base)

    def interval(
        self, model: str = "served", metric: str | None = None
    ) -> tuple[float, float] | None:
        """The 95 % interval of :meth:`ratio`, when the evaluation computed one."""
        found = self.intervals.get(model, {}).get(metric or self.primary)
        return None if found is None else (float(found[0]), float(found[1]))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["models"] = {name: dict(row) for name, row in self.models.items()}
        out["intervals"] = {
            name: {m: list(v) for m, v in row.items()} for name, row in self.intervals.items()
        }
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> NewUserTable:
        n_next = raw.get("n_next_users")
        return cls(
            scenario=str(raw["scenario"]),
            description=str(raw.get("description", "")),
            n_users=int(raw.get("n_users", 0)),
            models={str(n): dict(r) for n, r in (raw.get("models") or {}).items()},
            baseline=str(raw.get("baseline", "popular_in_genres")),
            intervals={
                str(n): {str(m): (float(v[0]), float(v[1])) for m, v in row.items()}
                for n, row in (raw.get("intervals") or {}).items()
            },
            n_next_users=None if n_next is None else int(n_next),
            primary=str(raw.get("primary", SWEEP_METRIC)),
        )


@dataclass(frozen=True)
class GroupRow:
    """One row of the movie-night table (:mod:`recsys.evaluation.groups`): a way of making
    one list for simulated groups of ``size`` (``kind``: random or similar taste), its mean
    and worst-member NDCG@10 over ``n_groups`` groups drawn from ``n_users`` held-out users."""

    size: int
    kind: str
    row: str
    mean_ndcg: float
    worst_ndcg: float
    n_groups: int
    n_users: int

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GroupRow:
        return cls(
            int(raw["size"]),
            str(raw["kind"]),
            str(raw["row"]),
            float(raw["mean_ndcg"]),
            float(raw["worst_ndcg"]),
            int(raw["n_groups"]),
            int(raw["n_users"]),
        )


@dataclass(frozen=True)
class EvaluationReport:
    """Every model's metrics on one protocol, the test-set weight sweep and SVD accuracy.

    ``models`` maps a model name to its metrics (``precision@10``, ``ndcg@20``, ``coverage``,
    ``fit_s``, ``ms_per_user``, ...), in the order the models were evaluated.
    """

    protocol: ProtocolInfo
    models: Mapping[str, Mapping[str, float]]
    sweep: tuple[SweepPoint, ...] = ()
    svd: RatingAccuracy | None = None
    new_users: tuple[NewUserTable, ...] = ()
    #: The TV list's proxy (:mod:`recsys.evaluation.tv`): simulated viewers from IMDb credits.
    tv: tuple[NewUserTable, ...] = ()
    #: Movie night: each way of combining a group's models, per group size and kind.
    groups: tuple[GroupRow, ...] = ()

    @property
    def model_names(self) -> list[str]:
        return list(self.models)

    def metric(self, model: str, name: str) -> float | None:
        return self.models.get(model, {}).get(name)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol.to_dict(),
            "models": {name: dict(row) for name, row in self.models.items()},
            "sweep": [p.to_dict() for p in self.sweep],
            "svd": asdict(self.svd) if self.svd else None,
            "new_users": [t.to_dict() for t in self.new_users],
            "tv": [t.to_dict() for t in self.tv],
            "groups": [asdict(g) for g in self.groups],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> EvaluationReport:
        svd = raw.get("svd")
        return cls(
            protocol=ProtocolInfo.from_dict(raw.get("protocol") or {}),
            models={str(n): dict(row) for n, row in (raw.get("models") or {}).items()},
            sweep=tuple(SweepPoint.from_dict(r) for r in raw.get("sweep") or ()),
            svd=RatingAccuracy(float(svd["rmse"]), float(svd["mae"])) if svd else None,
            new_users=tuple(NewUserTable.from_dict(t) for t in raw.get("new_users") or ()),
            tv=tuple(NewUserTable.from_dict(t) for t in raw.get("tv") or ()),
            groups=tuple(GroupRow.from_dict(g) for g in raw.get("groups") or ()),
        )

    def save(self, path: Path) -> Path:
        """Write atomically (the Quality page may be reading the old report)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> EvaluationReport:
        """Read a saved report; raises ``OSError`` or ``ValueError`` when it is unreadable."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path} does not hold an evaluation report")
        try:
            return cls.from_dict(raw)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a valid evaluation report: {exc}") from exc

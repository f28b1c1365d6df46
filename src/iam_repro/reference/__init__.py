"""The paper's facts as data: model roles, claims, Fig. 5 rows and the digitised Fig. 5 values.

Everything here is read from files beside this module (``paper.yaml``, ``paper_fig5.csv``), so
that adding a claim or a role, or correcting a value read off the figure, is a data edit. The
loaders check the registry's internal references (every role a claim names exists, ids are
well formed) and fail with the file and key at fault.

A *role* is what a model stands for in the paper's comparisons (``iam``, ``lstm``, ``fnn_1``,
``fnn_k``, ...). Experiment files give each model a role; claims, tables and figures look models
up by role, never by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import pandas as pd
import yaml

__all__ = [
    "OTHER_ROLE",
    "Comparison",
    "Fig5Row",
    "PaperClaim",
    "Registry",
    "RegistryError",
    "ValueCheck",
    "load_paper_fig5",
    "registry",
]

REGISTRY_FILE = "paper.yaml"
FIG5_FILE = "paper_fig5.csv"
FIG5_COLUMNS = ("env", "model", "step", "mean_return", "kind", "read_accuracy")

OTHER_ROLE = "other"
"""The role of a model no claim is about; the only role several models of one file may share."""

Metric = Literal["final_return", "auc", "steps_to_threshold", "transitions_per_s"]
METRICS: tuple[str, ...] = ("final_return", "auc", "steps_to_threshold", "transitions_per_s")


class RegistryError(ValueError):
    """The packaged registry (paper.yaml) is inconsistent: a bug in the data, named precisely."""


@dataclass(frozen=True)
class PaperClaim:
    """One of the paper's claims as its text states it (spec/paper.md, "Claims to test").

    Attributes:
        number: 1..7, as spec/paper.md numbers them.
        experiment: The environment family it is about ("all": every one).
        text: The claim in words.
    """

    number: int
    experiment: str
    text: str


@dataclass(frozen=True)
class Comparison:
    """A direction check: role `a` against role `b` on one per-run metric, on one env.

    Attributes:
        claim_id: Row id in the claims table ("1a", "3", ...); its number is the claim.
        env: Environment the check is judged on.
        role_a, role_b: The roles compared.
        metric: A column of final_scores.csv, or transitions_per_s from compute.csv.
        direction: +1 if the claim is mean(a) > mean(b), -1 if mean(a) < mean(b).
        text: The check in words, after "<Env>: ".
        at_least: The claim is "a is at least as good as b" (direction +1), judged by
            `analysis.claims.at_least_verdict` rather than as "a above b".
        env_options: The env options an experiment must have for the check to apply (e.g.
            flicker: true); empty: every experiment of the env.
    """

    claim_id: str
    env: str
    role_a: str
    role_b: str
    metric: Metric
    direction: Literal[1, -1]
    text: str
    at_least: bool = False
    env_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ValueCheck:
    """A role's final return against the paper's Fig. 5 value on one env."""

    claim_id: str
    env: str
    role: str


@dataclass(frozen=True)
class Fig5Row:
    """One row of the paper's Fig. 5.

    Attributes:
        env: Environment name (as in experiment files and paper_fig5.csv).
        row: Where the paper shows it ("top", "bottom").
        claims: Numbers of the claims about this environment's returns.
        models: Role -> the model name of that line in paper_fig5.csv.
        fnn_k_frames: k, the stacked observations of the paper's FNN in role fnn_k.
        value_tolerance: Smallest tolerance of the env's value checks (return units).
    """

    env: str
    row: str
    claims: tuple[int, ...]
    models: dict[str, str]
    fnn_k_frames: int
    value_tolerance: float


@dataclass(frozen=True)
class Registry:
    """Everything in paper.yaml, checked. Roles are in table and figure order; paper_budgets
    are the paper's steps per worker per env (the span of its schedule)."""

    roles: tuple[str, ...]
    role_colors: dict[str, str]
    role_descriptions: dict[str, str]
    paper_budgets: dict[str, int]
    fig5_rows: dict[str, Fig5Row]
    claims: tuple[PaperClaim, ...]
    comparisons: tuple[Comparison, ...]
    value_checks: tuple[ValueCheck, ...]

    def role_order(self, role: str | None) -> int:
        """Sort position of a role (unknown or missing roles after all known ones)."""
        return self.roles.index(role) if role in self.roles else len(self.roles)


def _read_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _fail(key: str, problem: str) -> RegistryError:
    return RegistryError(f"{__name__}/{REGISTRY_FILE}: {key}: {problem}")


def _role(data: dict[str, Any], roles: tuple[str, ...], key: str, where: str = "") -> str:
    """data[key], checked to be a role a claim can name (any but `other`)."""
    role = data.get(key)
    if role not in roles or role == OTHER_ROLE:
        raise _fail(
            where or key, f"role {role!r} is not one of the claimable roles {list(roles[:-1])}"
        )
    return role


def _parse(data: dict[str, Any]) -> Registry:
    roles = tuple(data["roles"])
    if roles[-1:] != (OTHER_ROLE,):
        raise _fail("roles", f"the last role must be {OTHER_ROLE!r} (it sorts after the others)")
    fig5_rows = {}
    for env, entry in data["envs"].items():
        if "fig5" not in entry:
            continue  # the paper has no Fig. 5 row for it (atari)
        fig5 = entry["fig5"]
        for role in fig5["models"]:
            _role({"role": role}, roles, "role", f"envs.{env}.fig5.models")
        fig5_rows[env] = Fig5Row(
            env,
            fig5["row"],
            tuple(fig5["claims"]),
            dict(fig5["models"]),
            int(fig5["fnn_k_frames"]),
            float(entry["value_tolerance"]),
        )
    comparisons = []
    for i, row in enumerate(data["comparisons"]):
        key = f"comparisons[{i}]"
        if row["metric"] not in METRICS:
            raise _fail(f"{key}.metric", f"{row['metric']!r} is not one of {list(METRICS)}")
        if row["direction"] not in (1, -1):
            raise _fail(f"{key}.direction", "must be 1 (a above b) or -1 (a below b)")
        comparisons.append(
            Comparison(
                str(row["id"]),
                row["env"],
                _role(row, roles, "a", f"{key}.a"),
                _role(row, roles, "b", f"{key}.b"),
                row["metric"],
                row["direction"],
                row["text"],
                at_least=bool(row.get("at_least", False)),
                env_options=dict(row.get("env_options", {})),
            )
        )
    value_checks = [
        ValueCheck(str(row["id"]), row["env"], _role(row, roles, "role", f"value_checks[{i}].role"))
        for i, row in enumerate(data["value_checks"])
    ]
    claims = tuple(PaperClaim(int(c["number"]), c["experiment"], c["text"]) for c in data["claims"])
    numbers = {c.number for c in claims}
    for check in (*comparisons, *value_checks):
        if int(check.claim_id.rstrip("abcdefghijklmnopqrstuvwxyz")) not in numbers:
            raise _fail(check.claim_id, "its number is not a claim under `claims`")
    return Registry(
        roles=roles,
        role_colors={role: spec["color"] for role, spec in data["roles"].items()},
        role_descriptions={role: spec["description"] for role, spec in data["roles"].items()},
        paper_budgets={env: int(entry["paper_budget"]) for env, entry in data["envs"].items()},
        fig5_rows=fig5_rows,
        claims=claims,
        comparisons=tuple(comparisons),
        value_checks=tuple(value_checks),
    )


@cache
def registry() -> Registry:
    """The packaged registry (paper.yaml), parsed and checked once per process."""
    return _parse(yaml.safe_load(_read_text(REGISTRY_FILE)))


def load_paper_fig5() -> pd.DataFrame:
    """The paper's Fig. 5 values read off the figure (paper_fig5.csv; see README.md here).

    Returns:
        Columns env, model, step, mean_return, kind ("curve" or "final"), read_accuracy; one
        row per point; `model` is the paper's line name (see `Fig5Row.models` for its role).
    """
    import io

    frame = pd.read_csv(io.StringIO(_read_text(FIG5_FILE)))
    missing = [c for c in FIG5_COLUMNS if c not in frame.columns]
    if missing:
        raise RegistryError(f"{__name__}/{FIG5_FILE}: missing columns {missing}")
    frame["step"] = frame["step"].astype("int64")
    return frame.loc[:, list(FIG5_COLUMNS)]

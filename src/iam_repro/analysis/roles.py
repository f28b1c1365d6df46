"""Models by role: ordering, lookup, and the paper's Fig. 5 values under an experiment's names.

An experiment's roster lists every model of its file with the role it plays, its kind and its
stacked frames (``{"FNN8": {"role": "fnn_k", "kind": "fnn", "frames": 8}, ...}``; the aggregate
rule writes it as models.csv); most functions need only the roles, model -> role
(``{"FNN8": "fnn_k", ...}``). The paper's facts (reference/paper.yaml) speak of roles; these
functions translate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from iam_repro.reference import OTHER_ROLE, registry

__all__ = [
    "MODELS_COLUMNS",
    "models_by_role",
    "models_table",
    "order_models",
    "paper_for_experiment",
    "role_colors",
    "roles_from_table",
    "roster_roles",
]

MODELS_COLUMNS: tuple[str, ...] = ("model", "role", "kind", "frames")
"""Columns of models.csv: one row per model of the experiment file, in table order."""


def _sort_key(model: str, roles: Mapping[str, str]) -> tuple[int, str]:
    return registry().role_order(roles.get(model)), model


def order_models(models: Iterable[str], roles: Mapping[str, str]) -> list[str]:
    """`models` once each, in the registry's role order (fnn_1, fnn_k, lstm, ..., iam_static);
    models without a claimable role after them, by name."""
    return sorted(dict.fromkeys(models), key=lambda model: _sort_key(model, roles))


def models_by_role(roles: Mapping[str, str]) -> dict[str, str]:
    """Role -> the model playing it (claimable roles only; `other` plays no claim)."""
    return {role: model for model, role in roles.items() if role != OTHER_ROLE}


def roster_roles(roster: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """Model -> role, from a roster (model -> {role, kind, frames})."""
    return {model: str(spec["role"]) for model, spec in roster.items()}


def models_table(roster: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """models.csv from a roster (model -> {role, kind, frames}): columns `MODELS_COLUMNS`, in
    table order."""
    ordered = order_models(roster, roster_roles(roster))
    return pd.DataFrame(
        [{"model": m, **{k: roster[m][k] for k in MODELS_COLUMNS[1:]}} for m in ordered],
        columns=list(MODELS_COLUMNS),
    )


def roles_from_table(models: pd.DataFrame) -> dict[str, str]:
    """The roster back from models.csv: model -> role."""
    return dict(zip(models["model"], models["role"], strict=True))


def role_colors(roles: Mapping[str, str]) -> dict[str, str]:
    """Model -> line colour of its role (reproduced curve and the paper's overlay alike)."""
    colors = registry().role_colors
    return {model: colors[role] for model, role in roles.items() if role in colors}


def paper_for_experiment(paper: pd.DataFrame, env: str, roles: Mapping[str, str]) -> pd.DataFrame:
    """The paper's Fig. 5 rows of `env`, each line named after the experiment's model that
    plays its role (the paper's own name where no model of the experiment does).

    Args:
        paper: `load_paper_fig5()`: columns env, model, step, mean_return, kind, read_accuracy.
        env: The experiment's environment.
        roles: The experiment's roster, model -> role.

    Returns:
        The same columns, rows of `env` only, `model` renamed; empty when the paper's figure
        does not show `env`.
    """
    rows = paper.loc[paper["env"] == env].copy()
    fig5 = registry().fig5_rows.get(env)
    if fig5 is None:
        return rows
    mine = models_by_role(roles)
    rename = {theirs: mine[role] for role, theirs in fig5.models.items() if role in mine}
    rows["model"] = rows["model"].map(lambda name: rename.get(name, name))
    return rows.reset_index(drop=True)

"""What the traffic (SUMO) and Atari environments need outside this package, checked up front.

The environments themselves come later; their factories call these checks first, so that a
missing simulator stops a job within a second with one message -- what is missing, where it was
looked for, and the exact command that installs it -- instead of a traceback deep inside the
environment.

- :func:`require_sumo` finds the ``sumo`` and ``netconvert`` programs and the ``libsumo``
  Python module. The PyPI wheel ``eclipse-sumo`` installs a Python package ``sumo`` whose folder
  is a complete SUMO_HOME (``sumo/bin/sumo``, ``sumo/bin/netconvert``, ``sumo/tools``, ...),
  plus console scripts ``sumo`` and ``netconvert`` on the environment's PATH; ``libsumo`` is
  the separate wheel of the same version. A system install (Debian's ``sumo`` package, a source
  build) is found through ``SUMO_HOME`` or PATH instead.
- :func:`require_atari_rom` imports ``ale_py`` and finds a game's ROM file through
  ``ale_py.roms.get_rom_path`` (ale-py >= 0.9 ships the ROMs inside the package; the environment
  variable ``ALE_ROMS_DIR`` points it elsewhere).

Neither package is a dependency of iam-repro: only the experiments that use them need them.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import re
import shutil
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

__all__ = [
    "ALE_PY_VERSION",
    "ATARI_INSTALL",
    "SUMO_INSTALL",
    "SUMO_VERSION",
    "AtariRomNotFoundError",
    "MissingDependencyError",
    "SumoInstallation",
    "SumoNotFoundError",
    "atari_rom_id",
    "require_atari_rom",
    "require_sumo",
]

SUMO_VERSION = "1.28.0"
"""The eclipse-sumo / libsumo release the traffic experiment is pinned to."""
ALE_PY_VERSION = "0.12.1"
"""The ale-py release the Atari experiment is pinned to (it ships the ROMs)."""

SUMO_INSTALL = f"pip install eclipse-sumo=={SUMO_VERSION} libsumo=={SUMO_VERSION}"
"""The command that installs SUMO's programs and libsumo into the active environment."""
ATARI_INSTALL = f"pip install ale-py=={ALE_PY_VERSION}"
"""The command that installs the Arcade Learning Environment with its ROMs."""

_SUMO_PROGRAMS = ("sumo", "netconvert")


class MissingDependencyError(RuntimeError):
    """Something an environment needs outside Python's own packages is missing.

    Attributes:
        dependency: What is missing, e.g. "SUMO (traffic environment)".
        problem: What exactly was not found.
        looked: Where it was looked for, in search order.
        fix: The command or setting that provides it.
    """

    def __init__(self, dependency: str, problem: str, looked: Sequence[str], fix: str) -> None:
        self.dependency = dependency
        self.problem = problem
        self.looked = tuple(looked)
        self.fix = fix
        where = f" Looked in: {'; '.join(self.looked)}." if self.looked else ""
        super().__init__(f"{dependency}: {problem}.{where} To fix: {fix}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.dependency, self.problem, self.looked, self.fix))


class SumoNotFoundError(MissingDependencyError):
    """SUMO's programs (sumo, netconvert) or its libsumo Python module are missing."""


class AtariRomNotFoundError(MissingDependencyError):
    """ale-py is missing, or it has no (valid) ROM file of the requested game."""


# --------------------------------------------------------------------------------------------
# SUMO


@dataclass(frozen=True)
class SumoInstallation:
    """Where SUMO was found.

    Attributes:
        home: The SUMO_HOME the programs came from (None: found on PATH only).
        programs: Program name -> executable, e.g. {"sumo": Path(".../sumo/bin/sumo")}.
        libsumo: The folder of the importable ``libsumo`` package (None when not checked).
    """

    home: Path | None
    programs: dict[str, Path]
    libsumo: Path | None


def _find_spec(name: str) -> ModuleSpec | None:
    """`importlib.util.find_spec` that answers None instead of raising (tests replace it)."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _package_dir(name: str) -> Path | None:
    """Folder of an importable package, found without importing it.

    Importing ``sumo`` would set SUMO_HOME in this process as a side effect.
    """
    spec = _find_spec(name)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin).parent if spec.origin else None


def _executable(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _sumo_homes() -> tuple[list[tuple[Path, str]], list[str]]:
    """Candidate SUMO_HOME folders in search order, with what was looked at (for messages)."""
    homes: list[tuple[Path, str]] = []
    looked: list[str] = []
    env_home = os.environ.get("SUMO_HOME")
    if not env_home:
        looked.append("$SUMO_HOME/bin (SUMO_HOME is not set)")
    else:
        home = Path(env_home)
        note = "" if home.is_dir() else ", which does not exist"
        looked.append(f"{home / 'bin'} (from SUMO_HOME{note})")
        homes.append((home, "SUMO_HOME"))
    package = _package_dir("sumo")
    if package is None:
        looked.append("the eclipse-sumo package's bin/ (no Python package `sumo` is installed)")
    else:
        note = (
            ""
            if (package / "bin").is_dir()
            else ", which has no bin/ folder: is it the unrelated PyPI package `sumo`?"
        )
        looked.append(f"{package / 'bin'} (the Python package `sumo` of eclipse-sumo{note})")
        homes.append((package, "the `sumo` package"))
    return homes, looked


def require_sumo(
    programs: Sequence[str] = _SUMO_PROGRAMS, *, libsumo: bool = True
) -> SumoInstallation:
    """Find SUMO's programs (and libsumo) or say exactly how to install them.

    Each program is looked for in ``$SUMO_HOME/bin``, then in the bin/ folder of the
    ``sumo`` Python package (what ``pip install eclipse-sumo`` installs), then on PATH.
    ``libsumo`` must be importable (``pip install libsumo``, or ``$SUMO_HOME/tools`` on
    PYTHONPATH for a system install).

    Args:
        programs: Program names to find.
        libsumo: Also require the ``libsumo`` Python module.

    Returns:
        Where everything was found.

    Raises:
        SumoNotFoundError: A program or libsumo is missing (the message lists what, where it
            was looked for, and the install command).
    """
    homes, looked = _sumo_homes()
    path_dirs = os.environ.get("PATH", "")
    looked.append(f"PATH ({_shorten(path_dirs) or 'empty'})")
    found: dict[str, Path] = {}
    home_used: Path | None = None
    for name in programs:
        for home, _ in homes:
            executable = _executable(home / "bin", name)
            if executable is not None:
                found[name] = executable
                home_used = home_used or home
                break
        else:
            on_path = shutil.which(name, path=path_dirs)
            if on_path is not None:
                found[name] = Path(on_path)
    missing = [name for name in programs if name not in found]
    if missing:
        have = ", ".join(f"{name} at {path}" for name, path in found.items())
        raise SumoNotFoundError(
            "SUMO (traffic environment)",
            f"the program(s) {', '.join(missing)} were not found"
            + (f" (found {have})" if have else ""),
            looked,
            f"{SUMO_INSTALL} into the Python environment that runs the pipeline (e.g. "
            f"`.venv/bin/{SUMO_INSTALL}`), or set SUMO_HOME to a SUMO {SUMO_VERSION} "
            f"installation whose bin/ holds {', '.join(programs)}",
        )

    libsumo_dir = None
    if libsumo:
        libsumo_dir = _package_dir("libsumo")
        if libsumo_dir is None:
            tools = [
                home / "tools"
                for home, _ in homes
                if (home / "tools" / "libsumo" / "__init__.py").is_file()
            ]
            where = [f"the importable Python modules ({sys.prefix})"] + [
                f"{home / 'tools' / 'libsumo'}" for home, _ in homes
            ]
            fix = f"pip install libsumo=={SUMO_VERSION} (the same version as SUMO itself)"
            if tools:
                fix += (
                    f", or make the one in {tools[0]} importable: "
                    f"export PYTHONPATH={tools[0]}:$PYTHONPATH"
                )
            raise SumoNotFoundError(
                "SUMO (traffic environment)",
                "the Python module libsumo is not importable (the programs are there: "
                + ", ".join(f"{name} at {path}" for name, path in found.items())
                + ")",
                where,
                fix,
            )
    return SumoInstallation(home=home_used, programs=found, libsumo=libsumo_dir)


def _shorten(path_list: str, limit: int = 160) -> str:
    return path_list if len(path_list) <= limit else path_list[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Atari


def atari_rom_id(game: str) -> str:
    """ale-py's ROM id (snake_case) of a game name as users write it.

    ``"Pong"``, ``"PongNoFrameskip-v4"``, ``"ALE/Pong-v5"`` and ``"pong"`` all give ``"pong"``;
    ``"SpaceInvaders"`` gives ``"space_invaders"``.
    """
    name = game.strip().rsplit("/", 1)[-1]
    name = re.sub(r"-v\d+$", "", name)
    name = re.sub(r"(NoFrameskip|Deterministic)$", "", name)
    if "_" not in name:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return name.lower()


def _import(name: str) -> Any:
    return importlib.import_module(name)


def require_atari_rom(game: str) -> Path:
    """The ROM file of an Atari game, through ale-py, or a message that says how to get it.

    Args:
        game: The game, e.g. "Pong", "PongNoFrameskip-v4", "ALE/Pong-v5" or "space_invaders".

    Returns:
        The path of the game's ``.bin`` ROM file (checked by ale-py against its md5 sum).

    Raises:
        AtariRomNotFoundError: ale-py is not installed or too old, the game is unknown to it,
            or its ROM file is missing or does not match the expected checksum.
    """
    rom_id = atari_rom_id(game)
    dependency = f"Atari ROM of '{game}' (atari environment)"
    try:
        ale_py = _import("ale_py")
        roms = _import("ale_py.roms")
    except ImportError as err:
        raise AtariRomNotFoundError(
            dependency,
            f"the Python package ale-py (module ale_py) is not installed ({err})",
            [f"the importable Python modules ({sys.prefix})"],
            f"{ATARI_INSTALL} into the Python environment that runs the pipeline (e.g. "
            f"`.venv/bin/{ATARI_INSTALL}`); ale-py >= 0.9 includes the ROMs",
        ) from None
    version = getattr(ale_py, "__version__", "unknown")
    get_rom_path = getattr(roms, "get_rom_path", None)
    if get_rom_path is None:
        raise AtariRomNotFoundError(
            dependency,
            f"ale-py {version} has no ale_py.roms.get_rom_path (releases before 0.9 kept the "
            f"ROMs outside the package)",
            [f"ale_py.roms ({getattr(roms, '__file__', 'unknown file')})"],
            f"pip install --upgrade ale-py=={ALE_PY_VERSION}",
        )
    env_dir = os.environ.get("ALE_ROMS_DIR")
    roms_dir = Path(env_dir) if env_dir else Path(getattr(roms, "__file__", ".")).parent
    source = "ALE_ROMS_DIR" if env_dir else f"ale-py {version}'s ROM folder"
    rom_file = roms_dir / f"{rom_id}.bin"
    looked = [f"{rom_file} ({source})"]
    reinstall = f"pip install --force-reinstall ale-py=={ALE_PY_VERSION}"
    env_fix = (
        f"put {rom_id}.bin into {roms_dir} or unset ALE_ROMS_DIR (ale-py ships the ROMs)"
        if env_dir
        else reinstall
    )

    known = _known_rom_ids(roms)
    if known is not None and rom_id not in known:
        raise _unknown_game(dependency, game, rom_id, known, looked)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Rom X not supported": we say it ourselves
            path = get_rom_path(rom_id)
    except NotADirectoryError:
        raise AtariRomNotFoundError(
            dependency, f"the ROM folder {roms_dir} does not exist", looked, env_fix
        ) from None
    except FileNotFoundError:
        raise AtariRomNotFoundError(
            dependency, f"the ROM file {rom_file} does not exist", looked, env_fix
        ) from None
    except OSError as err:  # ale-py raises OSError when the md5 sum does not match
        problem = str(err).splitlines()[0].rstrip(".!")
        raise AtariRomNotFoundError(
            dependency,
            f"the ROM file {rom_file} is not the expected one ({problem})",
            looked,
            env_fix if env_dir else reinstall,
        ) from None
    if path is None:
        raise _unknown_game(dependency, game, rom_id, known or [], looked)
    path = Path(path)
    if not path.is_file():
        raise AtariRomNotFoundError(
            dependency, f"the ROM file {path} does not exist", [f"{path} ({source})"], env_fix
        )
    return path


def _known_rom_ids(roms: Any) -> list[str] | None:
    get_all = getattr(roms, "get_all_rom_ids", None)
    if get_all is None:
        return None
    try:
        return list(get_all())
    except (OSError, ValueError):
        return None


def _unknown_game(
    dependency: str, game: str, rom_id: str, known: Sequence[str], looked: Sequence[str]
) -> AtariRomNotFoundError:
    close = difflib.get_close_matches(rom_id, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return AtariRomNotFoundError(
        dependency,
        f"ale-py has no game '{rom_id}' (the ROM id of '{game}')",
        looked,
        f"{hint}use a game that ale_py.roms.get_all_rom_ids() lists"
        + (f" ({len(known)} games" if known else " (")
        + ", e.g. pong, breakout, space_invaders); names like Pong, PongNoFrameskip-v4 or "
        "ALE/Pong-v5 are accepted too",
    )

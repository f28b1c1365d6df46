"""The SUMO and Atari-ROM checks, against fake installations laid out like the real packages.

The machine's own installs (setup.sh installs eclipse-sumo and libsumo) are hidden: the `clean`
fixture makes the checks see only a scratch site folder. The fakes copy the layouts the checks rely
on: eclipse-sumo's wheel installs a Python package `sumo` whose folder is SUMO_HOME (programs in
`sumo/bin/`, console scripts `sumo`/`netconvert` on PATH) and libsumo as a separate package;
ale-py (>= 0.9) has `ale_py.roms.get_rom_path(rom_id)`, which reads `ALE_ROMS_DIR` (default: the
roms package folder), raises NotADirectoryError for a missing folder, FileNotFoundError for a
missing .bin, OSError for a wrong md5 sum, and returns None (with a warning) for an unknown id.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import site as sitelib
import sys
import textwrap
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

from iam_repro.envs import requirements
from iam_repro.envs.requirements import (
    ALE_PY_VERSION,
    SUMO_VERSION,
    AtariRomNotFoundError,
    MissingDependencyError,
    SumoNotFoundError,
    atari_rom_id,
    require_atari_rom,
    require_sumo,
)

# --------------------------------------------------------------------------------------------
# Fakes


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def python_package(site: Path, name: str, code: str = "") -> Path:
    folder = site / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(code)
    return folder


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SUMO or ALE from the machine: empty PATH folder, no SUMO_HOME/ALE_ROMS_DIR, and a
    fresh site folder on sys.path for fake packages."""
    empty_path = tmp_path / "empty_bin"
    empty_path.mkdir()
    monkeypatch.setenv("PATH", str(empty_path))
    monkeypatch.delenv("SUMO_HOME", raising=False)
    monkeypatch.delenv("ALE_ROMS_DIR", raising=False)
    for name in ("sumo", "libsumo", "ale_py", "ale_py.roms"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    # Packages are looked up on sys.path without the real site-packages (tests may still
    # prepend folders, e.g. a system install's tools/).
    hidden = set(sitelib.getsitepackages())
    monkeypatch.setattr(
        requirements,
        "_find_spec",
        lambda name: PathFinder.find_spec(name, [p for p in sys.path if p not in hidden]),
    )
    return site


def eclipse_sumo_wheel(site: Path, *, programs=("sumo", "netconvert"), libsumo=True) -> Path:
    """What `pip install eclipse-sumo libsumo` leaves in site-packages."""
    package = python_package(site, "sumo", "SUMO_HOME = __import__('os').path.dirname(__file__)\n")
    for name in programs:
        executable(package / "bin" / name)
    (package / "tools").mkdir()
    if libsumo:
        python_package(site, "libsumo")
    return package


# --------------------------------------------------------------------------------------------
# SUMO


def test_the_eclipse_sumo_wheel_is_found_without_importing_it(clean: Path) -> None:
    package = eclipse_sumo_wheel(clean)
    found = require_sumo()
    assert found.home == package
    assert found.programs == {
        "sumo": package / "bin" / "sumo",
        "netconvert": package / "bin" / "netconvert",
    }
    assert found.libsumo == clean / "libsumo"
    assert "sumo" not in sys.modules  # importing it would set SUMO_HOME as a side effect


def test_sumo_home_comes_first_then_the_package_then_path(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eclipse_sumo_wheel(clean)
    home = tmp_path / "opt" / "sumo"
    executable(home / "bin" / "sumo")  # a system install with only sumo
    on_path = executable(tmp_path / "usr_bin" / "netconvert")
    monkeypatch.setenv("SUMO_HOME", str(home))
    monkeypatch.setenv("PATH", str(on_path.parent))
    found = require_sumo()
    assert found.home == home
    assert found.programs["sumo"] == home / "bin" / "sumo"
    assert found.programs["netconvert"] == clean / "sumo" / "bin" / "netconvert"


def test_programs_on_path_alone_are_enough(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "usr_bin"
    for name in ("sumo", "netconvert"):
        executable(bin_dir / name)
    monkeypatch.setenv("PATH", str(bin_dir))
    found = require_sumo(libsumo=False)
    assert found.home is None
    assert found.programs == {"sumo": bin_dir / "sumo", "netconvert": bin_dir / "netconvert"}
    assert found.libsumo is None


def test_nothing_installed_names_every_place_and_the_pinned_install(clean: Path) -> None:
    with pytest.raises(SumoNotFoundError) as info:
        require_sumo()
    err = info.value
    assert isinstance(err, MissingDependencyError)
    message = str(err)
    assert message.startswith("SUMO (traffic environment): the program(s) sumo, netconvert were")
    assert "SUMO_HOME is not set" in message
    assert "no Python package `sumo` is installed" in message
    assert f"PATH ({clean.parent / 'empty_bin'})" in message
    assert f"To fix: pip install eclipse-sumo=={SUMO_VERSION} libsumo=={SUMO_VERSION}" in message
    assert len(err.looked) == 3 and "\n" not in message


def test_a_sumo_home_that_does_not_exist_is_said_so(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMO_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(SumoNotFoundError, match=r"nowhere/bin \(from SUMO_HOME, which does not"):
        require_sumo()


def test_one_missing_program_is_named_with_what_was_found(clean: Path) -> None:
    package = eclipse_sumo_wheel(clean, programs=("sumo",))
    with pytest.raises(SumoNotFoundError) as info:
        require_sumo()
    message = str(info.value)
    assert "the program(s) netconvert were not found" in message
    assert f"found sumo at {package / 'bin' / 'sumo'}" in message


def test_a_file_that_is_not_executable_does_not_count(clean: Path) -> None:
    package = eclipse_sumo_wheel(clean)
    (package / "bin" / "netconvert").chmod(0o644)
    with pytest.raises(SumoNotFoundError, match="netconvert were not found"):
        require_sumo()


def test_the_unrelated_pypi_package_named_sumo_is_pointed_out(clean: Path) -> None:
    python_package(clean, "sumo")  # PyPI "sumo" (plotting tools) has the same import name
    with pytest.raises(SumoNotFoundError, match="is it the unrelated PyPI package `sumo`"):
        require_sumo()


def test_missing_libsumo_says_install_it_at_the_same_version(clean: Path) -> None:
    eclipse_sumo_wheel(clean, libsumo=False)
    with pytest.raises(SumoNotFoundError) as info:
        require_sumo()
    message = str(info.value)
    assert "the Python module libsumo is not importable (the programs are there" in message
    assert f"To fix: pip install libsumo=={SUMO_VERSION}" in message
    assert require_sumo(libsumo=False).libsumo is None


def test_libsumo_of_a_system_install_needs_its_tools_folder_on_pythonpath(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "usr_share_sumo"
    for name in ("sumo", "netconvert"):
        executable(home / "bin" / name)
    python_package(home / "tools", "libsumo")
    monkeypatch.setenv("SUMO_HOME", str(home))
    with pytest.raises(SumoNotFoundError) as info:
        require_sumo()
    assert f"export PYTHONPATH={home / 'tools'}:$PYTHONPATH" in str(info.value)
    monkeypatch.syspath_prepend(str(home / "tools"))
    assert require_sumo().libsumo == home / "tools" / "libsumo"


# --------------------------------------------------------------------------------------------
# Atari

# Written after ale-py's documented behaviour (see the module docstring), not copied from it.
FAKE_ROMS_MODULE = textwrap.dedent(
    """
    import hashlib, json, os, warnings
    from pathlib import Path

    def _hashes():
        return json.loads((Path(__file__).parent / "md5.json").read_text())

    def get_all_rom_ids():
        return [name.split(".")[0] for name in _hashes()]

    def get_rom_path(name):
        roms_dir = Path(os.environ.get("ALE_ROMS_DIR") or Path(__file__).parent)
        if not roms_dir.is_dir():
            raise NotADirectoryError(f"ROM directory {roms_dir} doesn't exist")
        bin_file = f"{name}.bin"
        if bin_file not in _hashes():
            warnings.warn(f"Rom {name} not supported.")
            return None
        digest = hashlib.md5((roms_dir / bin_file).read_bytes()).hexdigest()
        if digest != _hashes()[bin_file]:
            raise OSError(f"The hash of {bin_file} does not match what was expected!\\nmore")
        return roms_dir / bin_file
    """
)

ROMS = {"pong.bin": b"pong rom", "space_invaders.bin": b"invaders rom", "breakout.bin": b"b"}


def ale_py_package(site: Path, *, with_roms: bool = True, old: bool = False) -> Path:
    python_package(site, "ale_py", f"__version__ = {ALE_PY_VERSION!r}\n")
    roms = python_package(site / "ale_py", "roms", "" if old else FAKE_ROMS_MODULE)
    hashes = {name: hashlib.md5(data).hexdigest() for name, data in ROMS.items()}
    (roms / "md5.json").write_text(json.dumps(hashes))
    if with_roms:
        for name, data in ROMS.items():
            (roms / name).write_bytes(data)
    return roms


@pytest.mark.parametrize(
    ("game", "rom_id"),
    [
        ("Pong", "pong"),
        ("pong", "pong"),
        ("PongNoFrameskip-v4", "pong"),
        ("ALE/Pong-v5", "pong"),
        ("SpaceInvadersDeterministic-v4", "space_invaders"),
        ("space_invaders", "space_invaders"),
        ("MontezumaRevenge", "montezuma_revenge"),
    ],
)
def test_game_names_map_to_ale_rom_ids(game: str, rom_id: str) -> None:
    assert atari_rom_id(game) == rom_id


def test_the_rom_shipped_with_ale_py_is_found(clean: Path) -> None:
    roms = ale_py_package(clean)
    assert require_atari_rom("SpaceInvaders") == roms / "space_invaders.bin"
    assert require_atari_rom("ALE/Pong-v5") == roms / "pong.bin"


def test_missing_ale_py_says_pip_install_ale_py(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ale_py", None)  # what an absent package looks like
    with pytest.raises(AtariRomNotFoundError) as info:
        require_atari_rom("Pong")
    message = str(info.value)
    assert isinstance(info.value, MissingDependencyError)
    assert message.startswith("Atari ROM of 'Pong' (atari environment): the Python package ale-py")
    assert "is not installed" in message and "Looked in: the importable Python modules" in message
    assert f"To fix: pip install ale-py=={ALE_PY_VERSION} into the Python environment" in message


def test_ale_py_without_get_rom_path_is_too_old(clean: Path) -> None:
    ale_py_package(clean, old=True)
    with pytest.raises(AtariRomNotFoundError, match="pip install --upgrade ale-py=="):
        require_atari_rom("Pong")


def test_a_missing_rom_file_names_it_and_says_reinstall(clean: Path) -> None:
    roms = ale_py_package(clean, with_roms=False)
    with pytest.raises(AtariRomNotFoundError) as info:
        require_atari_rom("Pong")
    message = str(info.value)
    assert f"the ROM file {roms / 'pong.bin'} does not exist" in message
    assert f"Looked in: {roms / 'pong.bin'} (ale-py {ALE_PY_VERSION}'s ROM folder)" in message
    assert f"To fix: pip install --force-reinstall ale-py=={ALE_PY_VERSION}" in message


def test_ale_roms_dir_is_where_the_rom_is_looked_for(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ale_py_package(clean)
    monkeypatch.setenv("ALE_ROMS_DIR", str(tmp_path / "my_roms"))
    with pytest.raises(AtariRomNotFoundError) as info:
        require_atari_rom("Pong")
    assert f"the ROM folder {tmp_path / 'my_roms'} does not exist" in str(info.value)
    assert "unset ALE_ROMS_DIR" in str(info.value)
    (tmp_path / "my_roms").mkdir()
    with pytest.raises(AtariRomNotFoundError, match=r"my_roms/pong\.bin \(ALE_ROMS_DIR\)"):
        require_atari_rom("Pong")
    (tmp_path / "my_roms" / "pong.bin").write_bytes(ROMS["pong.bin"])
    assert require_atari_rom("Pong") == tmp_path / "my_roms" / "pong.bin"


def test_a_corrupt_rom_fails_the_checksum(clean: Path) -> None:
    roms = ale_py_package(clean)
    (roms / "breakout.bin").write_bytes(b"not the rom")
    with pytest.raises(AtariRomNotFoundError) as info:
        require_atari_rom("Breakout")
    message = str(info.value)
    assert "is not the expected one (The hash of breakout.bin does not match" in message
    assert "\n" not in message and "--force-reinstall" in message


def test_an_unknown_game_suggests_close_names(clean: Path) -> None:
    ale_py_package(clean)
    with pytest.raises(AtariRomNotFoundError) as info:
        require_atari_rom("Pongg")
    message = str(info.value)
    assert "ale-py has no game 'pongg' (the ROM id of 'Pongg')" in message
    assert "did you mean 'pong'?" in message and "(3 games" in message


def test_errors_survive_pickling() -> None:
    err = SumoNotFoundError("SUMO", "missing", ["a", "b"], "install it")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is SumoNotFoundError and str(copy) == str(err)
    assert copy.looked == ("a", "b")


def test_the_troubleshooting_page_gives_the_pinned_install_commands() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md").read_text()
    assert f"eclipse-sumo=={SUMO_VERSION} libsumo=={SUMO_VERSION}" in page
    assert f"ale-py=={ALE_PY_VERSION}" in page

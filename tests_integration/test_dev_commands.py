"""The run and test commands on a stock Debian/Ubuntu machine.

They run ``tools/dev.sh`` from a copy of the project's tooling in a temporary
folder, with ``python3`` being Debian's own interpreter (``/usr/bin/python3``,
externally managed: PEP 668 forbids ``pip install`` into it) and no variable set,
as a new user would. Odoo's source is the one this test run uses, offered as a
sibling checkout; "no network" is a clone address that cannot answer.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import odoo

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_PYTHON = "/usr/bin/python3"
ODOO_SOURCE = Path(next(iter(odoo.__path__))).resolve().parent
UNREACHABLE_GIT = "file:///nonexistent/odoo.git"
HOST_PACKAGES = (
    "import importlib.metadata as m; print(sorted((d.name, d.version) for d in m.distributions()))"
)


def _debian_python(code):
    return subprocess.run([DEBIAN_PYTHON, "-c", code], capture_output=True, text=True, cwd="/", check=False)


def _project_copy(folder):
    """The project's commands and requirements, as a fresh clone has them."""
    project = folder / "project"
    project.mkdir()
    shutil.copytree(ROOT / "tools", project / "tools")
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, project / name)
    return project


def _run(project, *command, timeout=900):
    """Run a command in ``project`` with Debian's python3 first on PATH and none of our variables."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "ODOO_", "PYTHON", "VIRTUAL_ENV", "PYENV"))
    }
    environ["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin"
    environ["CRM_ODOO_GIT_URL"] = UNREACHABLE_GIT
    started = time.monotonic()
    result = subprocess.run(
        list(command), cwd=project, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )
    return result, time.monotonic() - started


def test_python3_is_debians_externally_managed_interpreter():
    """The premise of this file: plain ``pip install`` is refused by that interpreter."""
    stdlib = _debian_python("import sysconfig; print(sysconfig.get_path('stdlib'))").stdout.strip()
    assert Path(stdlib, "EXTERNALLY-MANAGED").is_file(), f"{DEBIAN_PYTHON} is not externally managed"
    assert _debian_python("import odoo").returncode != 0, f"{DEBIAN_PYTHON} must not import Odoo"


def test_environment_from_a_sibling_checkout_leaves_system_python_untouched(tmp_path):
    (tmp_path / "odoo").symlink_to(ODOO_SOURCE)
    project = _project_copy(tmp_path)
    packages_before = _debian_python(HOST_PACKAGES).stdout

    result, _elapsed = _run(project, "tools/dev.sh", "env")
    assert result.returncode == 0, result.stdout + result.stderr
    venv_python = project / ".venv" / "bin" / "python"
    assert result.stdout.strip().splitlines()[-1] == str(venv_python)
    assert f"Installing Odoo 19.0 (editable, from {ODOO_SOURCE})" in result.stderr
    where = subprocess.run(
        [venv_python, "-c", "import odoo, odoo.release as r, psycopg2; print(r.version, odoo.__path__[0])"],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    ).stdout.split()
    assert where == ["19.0", str(ODOO_SOURCE / "odoo")]

    assert _debian_python(HOST_PACKAGES).stdout == packages_before, "the system Python's packages changed"
    assert _debian_python("import odoo").returncode != 0, "Odoo was installed into the system Python"

    again, elapsed = _run(project, "tools/dev.sh", "env")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Installing" not in again.stderr and "Creating" not in again.stderr, again.stderr
    assert elapsed < 30, f"reusing the environment took {elapsed:.0f} s"

    with open(project / "requirements-dev.txt", "a", encoding="utf-8") as requirements:
        requirements.write("# changed\n")
    changed, _elapsed = _run(project, "tools/dev.sh", "env")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "Installing Odoo 19.0" in changed.stderr and "Creating" not in changed.stderr, changed.stderr


def test_commands_stop_at_once_when_odoo_cannot_be_found(tmp_path):
    project = _project_copy(tmp_path)
    for target in ("test", "run"):
        result, elapsed = _run(project, "make", target, timeout=120)
        assert result.returncode != 0, f"make {target} went on without Odoo"
        assert elapsed < 60, f"make {target} took {elapsed:.0f} s to give up"
        message = result.stderr
        assert "Odoo 19.0 Community source not found. Tried, in this order:" in message, message
        for tried in (
            "ODOO_SRC is not set",
            "python3 cannot import odoo",
            f"{tmp_path}/odoo: no Odoo source tree",
            f"git clone of the 19.0 branch of {UNREACHABLE_GIT} failed",
            "ODOO_SRC=/path/to/odoo make test",
        ):
            assert tried in message, f"make {target} does not say {tried!r}:\n{message}"
        assert not (project / ".venv").exists(), "a virtual environment was created without Odoo"
        assert not (project / ".state" / "pgdata").exists(), "PostgreSQL was set up without Odoo"

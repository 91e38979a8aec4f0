"""The lock files: every dependency pinned with hashes, the services' locks within the root
lock's versions and complete for their images, and a dependency added without `make lock`
stopped at setup with a message saying so (ops/launcher.py)."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

spec = importlib.util.spec_from_file_location("polystatus_launcher", os.path.join(ROOT, "ops", "launcher.py"))
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)

LOCKS = list(launcher.lock_plan())
SERVICE_LOCKS = [path for path in LOCKS if path != launcher.LOCK_FILE_NAME]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(path: str) -> dict[str, str]:
    """{canonical name: version} of a lock file, each block checked to carry its hashes."""
    with open(os.path.join(ROOT, path)) as handle:
        text = handle.read()
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if not match:
            continue
        assert "--hash=sha256:" in block, f"{path}: {match.group(1)} has no hash"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_the_lock_files_match_the_declared_dependencies():
    assert launcher.lock_problems() == []


@pytest.mark.parametrize("path", LOCKS)
def test_every_locked_requirement_is_an_exact_version_with_hashes(path):
    with open(os.path.join(ROOT, path)) as handle:
        lines = handle.read().splitlines()
    requirements = [line for line in lines if line and not line[0].isspace() and not line.startswith("#")]
    assert requirements, f"{path} pins nothing"
    for line in requirements:
        assert PIN.match(line), f"{path}: {line!r} is not pinned with =="
        assert not line.startswith("-e"), f"{path}: a local package leaked into the lock: {line}"
    assert len(pins(path)) == len(requirements)


@pytest.mark.parametrize("path", SERVICE_LOCKS)
def test_a_service_lock_pins_the_versions_of_the_root_lock(path):
    root = pins(launcher.LOCK_FILE_NAME)
    for name, version in pins(path).items():
        assert root.get(name) == version, f"{path} pins {name}=={version}, the root lock {root.get(name)}"


def closure(requirements: list[str]) -> set[str]:
    """Every distribution these requirements need on this interpreter, from the installed
    metadata (the virtualenv was installed from the root lock, so these are the locked versions)."""
    needed: set[str] = set()
    pending = [(Requirement(text), "") for text in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        extras = sorted(requirement.extras)
        key = f"{name}[{','.join(extras)}]"
        if key in needed:
            continue
        needed.add(key)
        for dependency in importlib.metadata.requires(requirement.name) or []:
            dependency = Requirement(dependency)
            for wanted in [""] + extras:
                pending.append((dependency, wanted))
    return {key.split("[")[0] for key in needed}


@pytest.mark.parametrize("path", SERVICE_LOCKS)
def test_a_service_lock_holds_everything_its_image_installs(path):
    folder = path.split("/")[0]
    declared = []
    for project in ("lib", folder):
        data = launcher.declared_dependencies(os.path.join(ROOT, project, "pyproject.toml"))
        declared += [text for text in data["dependencies"] + data["build"] if Requirement(text).name != "polystatus"]
        if project == folder:  # the service's optional groups (drivers) may be installed in its image
            declared += [text for group in data["optional"].values() for text in group]
    locked = pins(path)
    missing = sorted(closure(declared) - set(locked))
    assert not missing, f"{path} lacks {missing}: the image's pip check would fail"


@pytest.fixture()
def checkout(tmp_path):
    """The files the lock check reads, copied into a throw-away tree with the launcher."""
    os.makedirs(tmp_path / "ops")
    shutil.copy(os.path.join(ROOT, "ops", "launcher.py"), tmp_path / "ops")
    shutil.copy(os.path.join(ROOT, launcher.DEV_REQUIREMENTS), tmp_path)
    for path in LOCKS:
        os.makedirs(tmp_path / os.path.dirname(path), exist_ok=True)
        shutil.copy(os.path.join(ROOT, path), tmp_path / path)
    for folder in launcher.project_folders():
        os.makedirs(tmp_path / folder, exist_ok=True)
        shutil.copy(os.path.join(ROOT, folder, "pyproject.toml"), tmp_path / folder)
    return tmp_path


def test_a_copied_tree_starts_consistent(checkout):
    assert launcher.lock_problems(str(checkout)) == []


def test_a_dependency_added_without_make_lock_is_caught(checkout):
    pyproject = checkout / "comms" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"aiosmtpd>=1.4"', '"aiosmtpd>=1.4", "sentry-sdk>=2"'))
    problems = launcher.lock_problems(str(checkout))
    assert problems == [
        "requirements.lock is older than the dependencies declared in comms/pyproject.toml",
        "comms/requirements.lock is older than the dependencies declared in comms/pyproject.toml",
    ]


def test_a_test_tool_added_without_make_lock_is_caught_in_the_root_lock_only(checkout):
    with open(checkout / "requirements-dev.txt", "a") as handle:
        handle.write("hypothesis>=6\n")
    assert launcher.lock_problems(str(checkout)) == [
        "requirements.lock is older than the dependencies declared in requirements-dev.txt"]


def test_a_change_that_declares_no_dependency_needs_no_new_lock(checkout):
    pyproject = checkout / "users" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    with open(checkout / "requirements-dev.txt", "a") as handle:
        handle.write("# a comment about the tools\n")
    assert launcher.lock_problems(str(checkout)) == []


def test_a_missing_service_lock_is_caught(checkout):
    os.remove(checkout / "frontend" / "requirements.lock")
    assert launcher.lock_problems(str(checkout)) == [
        "frontend/requirements.lock is missing (or was not written by `make lock`)"]


def test_setup_refuses_a_stale_lock_and_says_to_run_make_lock(checkout):
    pyproject = checkout / "incidents" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["polystatus"]',
                                                       'dependencies = ["polystatus", "markdown-it-py>=3"]'))
    result = subprocess.run([sys.executable, str(checkout / "ops" / "launcher.py"), "setup"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "incidents/requirements.lock is older than the dependencies declared in incidents/pyproject.toml" in result.stderr
    assert "Run `make lock`" in result.stderr
    # Refused before anything was installed.
    assert not (checkout / ".venv").exists()


def test_every_optional_group_is_in_the_root_lock():
    root = pins(launcher.LOCK_FILE_NAME)
    for folder in launcher.project_folders():
        data = launcher.declared_dependencies(os.path.join(ROOT, folder, "pyproject.toml"))
        for group, requirements in data["optional"].items():
            for text in requirements:
                name = canonicalize_name(Requirement(text).name)
                assert name in root, f"{folder}[{group}] needs {name}, which requirements.lock does not pin"


def test_an_image_lock_leaves_out_the_test_tools():
    for path in SERVICE_LOCKS:
        assert "pytest" not in pins(path), f"{path} would put pytest into the image"

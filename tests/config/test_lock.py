"""The lock files pin every dependency pyproject.toml asks for, at a version it allows, with hashes — so an
edit to pyproject.toml without `make lock` fails here instead of installing something else somewhere else."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall((ROOT / lock).read_text())}


@pytest.mark.parametrize(
    ("lock", "groups"),
    [
        ("requirements/production.txt", ["dependencies", "node"]),
        ("requirements/dev.txt", ["dependencies", "dev", "node"]),
    ],
)
def test_every_requirement_is_pinned_at_an_allowed_version(lock, groups):
    pinned = pins(lock)
    project = PYPROJECT["project"]
    wanted = [
        Requirement(line)
        for group in groups
        for line in (project["dependencies"] if group == "dependencies" else project["optional-dependencies"][group])
    ]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pinned[name]}, outside {requirement.specifier}: run `make lock`"
        )


@pytest.mark.parametrize("lock", ["requirements/production.txt", "requirements/dev.txt"])
def test_every_pin_carries_a_hash(lock):
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert len(entries) == len(pins(lock))
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]

"""The Lambda package `chalice package` builds: what ships, what must not, and that it will load."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from chalice.constants import MISSING_DEPENDENCIES_TEMPLATE

pytestmark = pytest.mark.package

REPO = Path(__file__).resolve().parents[2]
CHALICE = Path(sys.executable).with_name("chalice")
# A cold build downloads every wheel (about a minute here); leave room for a slow registry.
PACKAGE_TIMEOUT_SECONDS = 900

# Lambda refuses a directly uploaded zip above 50 MB and an unzipped function above 250 MB.
MAX_ZIPPED_BYTES = 50_000_000
MAX_UNZIPPED_BYTES = 250_000_000

# The python3.13 runtime runs on Amazon Linux 2023: glibc 2.34.
RUNTIME_GLIBC = (2, 34)
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}

# Import names and distribution names of what only tests and tooling need.
TEST_ONLY = {
    "moto", "localstripe", "pytest", "_pytest", "hypothesis", "mypy", "importlinter", "import_linter",
}

# The first line chalice prints when pip could not get a dependency for the Lambda platform.
COULD_NOT_INSTALL = MISSING_DEPENDENCIES_TEMPLATE.strip().splitlines()[0]


@dataclass(frozen=True)
class Package:
    """One `chalice package` run: what it printed and the zip it produced."""

    output: str
    zip_path: Path
    names: frozenset[str]


def _copy_project(target: Path) -> None:
    # Chalice reuses `.chalice/deployments/<hash>.zip` when requirements and code are unchanged,
    # and then prints nothing about dependencies: packaging a copy forces the full build, so the
    # warnings below are really looked for. The copy keeps vendor/templates as the same link.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(REPO / name, target / name)
    for name in ("chalicelib", "templates", "vendor"):
        shutil.copytree(REPO / name, target / name, symlinks=True, ignore=ignore)
    (target / ".chalice").mkdir()
    for config in (REPO / ".chalice").glob("*.json"):
        shutil.copy2(config, target / ".chalice" / config.name)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    project = tmp_path_factory.mktemp("project")
    out = tmp_path_factory.mktemp("package") / "dev"
    _copy_project(project)
    assert (project / "vendor" / "templates").is_symlink(), "vendor/templates must stay a link"
    # Packaging calls no AWS API, but chalice wants a region to write the template.
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    result = subprocess.run(
        [str(CHALICE), "--project-dir", str(project), "package", "--stage", "dev", str(out)],
        cwd=project, env=env, capture_output=True, text=True, timeout=PACKAGE_TIMEOUT_SECONDS,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"chalice package failed:\n{output}"
    zip_path = out / "deployment.zip"
    with zipfile.ZipFile(zip_path) as archive:
        names = frozenset(archive.namelist())
    return Package(output=output, zip_path=zip_path, names=names)


def _files_under(folder: Path) -> Iterator[str]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path.relative_to(folder).as_posix()


def _wheel_metadata(archive: zipfile.ZipFile, dist_info: str) -> tuple[bool, list[str]]:
    """(Root-Is-Purelib, tags) from a dist-info folder's WHEEL file."""
    lines = archive.read(f"{dist_info}/WHEEL").decode().splitlines()
    purelib = any(line.strip().lower() == "root-is-purelib: true" for line in lines)
    tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    return purelib, tags


def _runs_on_lambda(platform: str) -> bool:
    # A wheel built on this machine is tagged linux_x86_64: it links whatever libraries the
    # builder had, which the Lambda image may lack. Only manylinux promises what it links.
    perennial = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    if perennial:
        return (int(perennial[1]), int(perennial[2])) <= RUNTIME_GLIBC
    legacy = re.fullmatch(r"(manylinux\d+)_x86_64", platform)
    return legacy is not None and LEGACY_MANYLINUX.get(legacy[1], (99, 0)) <= RUNTIME_GLIBC


def _owners_of_files(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each file listed in a RECORD, mapped to the dist-info folder that installed it."""
    owners: dict[str, str] = {}
    for name in archive.namelist():
        if name.endswith(".dist-info/RECORD"):
            dist_info = name.rsplit("/", 1)[0]
            for row in archive.read(name).decode().splitlines():
                if row:
                    owners[row.split(",", 1)[0]] = dist_info
    return owners


def test_chalice_installed_every_dependency_for_the_lambda(package: Package) -> None:
    # The warning is only printed on a full build; a reused package would make this vacuous.
    assert "Reusing existing deployment package" not in package.output
    assert COULD_NOT_INSTALL not in package.output, package.output


def test_the_templates_ship_beside_app_py(package: Package) -> None:
    expected = {f"templates/{name}" for name in _files_under(REPO / "templates")}
    assert expected, "the repo has no templates to ship"
    assert expected <= package.names, sorted(expected - package.names)


def test_the_app_and_all_of_chalicelib_ship(package: Package) -> None:
    # chalicelib includes the compiled message catalogs (.mo): verdicts need them at runtime.
    expected = {"app.py"} | {f"chalicelib/{name}" for name in _files_under(REPO / "chalicelib")}
    assert expected <= package.names, sorted(expected - package.names)


@pytest.mark.parametrize("distribution", ["boto3", "botocore"])
def test_the_aws_sdk_ships_at_the_version_the_tests_ran(package: Package, distribution: str) -> None:
    # The runtime's own copy changes without notice; ours is the one these tests exercised.
    tested = importlib.metadata.version(distribution)
    assert f"{distribution}-{tested}.dist-info/METADATA" in package.names


def test_no_test_only_package_ships(package: Package) -> None:
    shipped = set()
    for name in package.names:
        top = PurePosixPath(name).parts[0]
        if top.endswith((".dist-info", ".egg-info")):
            top = top.split("-", 1)[0]
        shipped.add(top.removesuffix(".py").lower().replace("-", "_"))
    assert not shipped & TEST_ONLY, sorted(shipped & TEST_ONLY)


def test_every_platform_wheel_in_the_package_is_manylinux_for_the_runtime(package: Package) -> None:
    refused: dict[str, list[str]] = {}
    with zipfile.ZipFile(package.zip_path) as archive:
        for dist_info in {name.rsplit("/", 1)[0] for name in package.names if name.endswith(".dist-info/WHEEL")}:
            _, tags = _wheel_metadata(archive, dist_info)
            platforms = [tag.rsplit("-", 1)[-1] for tag in tags]
            specific = [p for p in platforms if p != "any"]
            # One compatible tag is enough (a wheel lists every glibc it supports), but a plain
            # linux_* tag anywhere means the wheel was built here rather than downloaded.
            if specific and (any(p.startswith("linux_") for p in specific)
                             or not any(_runs_on_lambda(p) for p in specific)):
                refused[dist_info] = tags
    assert not refused, f"wheels not built for the Lambda runtime: {refused}"


def test_every_shared_library_comes_from_a_platform_wheel(package: Package) -> None:
    with zipfile.ZipFile(package.zip_path) as archive:
        owners = _owners_of_files(archive)
        suspicious: dict[str, str] = {}
        for name in sorted(package.names):
            if not re.search(r"\.so(\.\d+)*$", name):
                continue
            owner = owners.get(name)
            if owner is None:
                suspicious[name] = "belongs to no installed distribution"
                continue
            purelib, tags = _wheel_metadata(archive, owner)
            specific = [tag.rsplit("-", 1)[-1] for tag in tags if not tag.endswith("-any")]
            if purelib:
                suspicious[name] = f"{owner} says it is pure Python"
            elif not specific or any(p.startswith("linux_") for p in specific):
                suspicious[name] = f"{owner} is tagged {tags}"
    assert not suspicious, suspicious


def test_the_package_fits_lambdas_size_limits(package: Package, tmp_path: Path) -> None:
    """What `make package` ships fits: chalice's zip as infra/prune_package.py leaves it (PRUNE=yes,
    the default). The unpruned zip carries every botocore model and passed 50 MB once the labels
    embedded their CJK fonts, so only the pruned one is deployable as a zip."""
    shipped = tmp_path / "deployment.zip"
    shutil.copy2(package.zip_path, shipped)
    subprocess.run([sys.executable, str(REPO / "infra" / "prune_package.py"), str(shipped)], check=True,
                   capture_output=True, timeout=PACKAGE_TIMEOUT_SECONDS)
    assert shipped.stat().st_size < package.zip_path.stat().st_size, "pruning dropped nothing"
    assert shipped.stat().st_size < MAX_ZIPPED_BYTES
    with zipfile.ZipFile(shipped) as archive:
        assert sum(info.file_size for info in archive.infolist()) < MAX_UNZIPPED_BYTES

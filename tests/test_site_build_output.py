"""``modelindex build`` and its output folder: two builds at once, builds killed half way, an
output that is a symlink, and a theme template that cannot be found."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

import jinja2

from modelindex.cli import main
from modelindex.site.build import MARKER, BuildError, build_site
from tests.conftest import write_file

ROOT = Path(__file__).parent.parent
CARD = """# Net

<!--
Type: model-index
Models:
- Name: net
  Metadata: {Parameters: 1000}
-->
"""


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    return write_file(tmp_path / "zoo" / "net.md", CARD).parent


def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def _run_build(script: str, *args: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``script`` in a Python of its own, with this checkout's modelindex; ``args`` as argv."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


# Builds the site of argv[1] into argv[2], and waits before it swaps the new site in until
# argv[4] exists, having made argv[3]: the test decides when the swap happens.
BUILD_THAT_WAITS_TO_SWAP = """
import sys, time
from pathlib import Path
import modelindex.site.build as site_build

zoo, output, ready, go = map(Path, sys.argv[1:])
swap = site_build._swap_in

def waiting_swap(staged, output):
    ready.touch()
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    swap(staged, output)

site_build._swap_in = waiting_swap
site_build.build_site([zoo], output)
"""


def test_a_second_build_into_an_output_being_written_fails_and_the_first_completes(
    tmp_path: Path, zoo: Path
) -> None:
    output = build_site([zoo], tmp_path / "cc")
    ready, go = tmp_path / "ready", tmp_path / "go"
    other = write_file(tmp_path / "other" / "other.md", CARD.replace("net", "other")).parent
    first = _run_build(BUILD_THAT_WAITS_TO_SWAP, other, output, ready, go)
    try:
        _wait_for(ready, first)
        with pytest.raises(BuildError, match=rf"^another build is writing -o {output}; "):
            build_site([zoo], output)
    finally:
        go.touch()
        _out, error = first.communicate(timeout=60)
    assert first.returncode == 0, error
    assert (output / "models" / "other.html").is_file() and not (
        output / "models" / "net.html"
    ).exists()
    for name in ("404.html", "index.html", MARKER):
        assert (output / name).is_file(), name


# Builds the site of argv[1] into argv[2] and is killed (argv[3]: KILL or TERM) while mkdocs
# would run, through the command line.
BUILD_THAT_IS_KILLED = """
import os, signal, sys, time
import modelindex.site.build as site_build
from modelindex.cli import main

def killed(*args):
    os.kill(os.getpid(), getattr(signal, "SIG" + sys.argv[3]))
    time.sleep(30)

site_build._run_mkdocs = killed
sys.exit(main(["build", sys.argv[1], "-o", sys.argv[2]]))
"""


@pytest.mark.parametrize("signal_name", ["KILL", "TERM"])
def test_a_killed_build_leaves_no_temporary_folder_after_the_next_build(
    tmp_path: Path, zoo: Path, signal_name: str
) -> None:
    output = build_site([zoo], tmp_path / "site")
    before = _files(output)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    killed = _run_build(
        BUILD_THAT_IS_KILLED, zoo, output, signal_name, env={"TMPDIR": str(temporary)}
    )
    _out, error = killed.communicate(timeout=60)
    assert killed.returncode != 0, error
    assert list(temporary.iterdir()) == []  # the docs folder is in the work folder, not in /tmp
    assert _files(output) == before
    build_site([zoo], output)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site", "tmp", "zoo"]


def test_the_next_build_removes_its_outputs_stale_work_folders_but_not_a_kept_site(
    tmp_path: Path, zoo: Path
) -> None:
    output = build_site([zoo], tmp_path / "site")
    stale = [".site.modelindex-new-abc_1234", ".site.modelindex-old-zz9x8y7w"]
    for name in stale:
        write_file(tmp_path / name / "docs" / "models" / "net.md", CARD)
    kept = write_file(tmp_path / ".site.modelindex-old-k1k2k3k4-kept" / "index.html", "mine")
    others = [
        write_file(tmp_path / ".other.modelindex-new-abcd1234" / "x", "another output's"),
        write_file(tmp_path / ".site.modelindex-new-not.this" / "x", "not a work folder"),
    ]
    (tmp_path / ".site.modelindex-new-link1234").symlink_to(zoo, target_is_directory=True)
    build_site([zoo], output)
    for name in stale:
        assert not (tmp_path / name).exists(), name
    assert kept.read_text() == "mine"
    assert all(path.is_file() for path in others)
    assert (zoo / "net.md").is_file()


# Where tmpfs cannot be mounted, a build run by _run_build takes this folder for a mount point.
SIMULATED_MOUNT = "MODELINDEX_TEST_MOUNT_POINT"
TAKES_A_FOLDER_FOR_A_MOUNT_POINT = f"""
import os
if os.environ.get({SIMULATED_MOUNT!r}):
    is_mount = os.path.ismount
    os.path.ismount = lambda path: (
        os.path.realpath(path) == os.environ[{SIMULATED_MOUNT!r}] or is_mount(path)
    )
"""


@pytest.fixture
def mount_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder ``site`` that is a mount point: a tmpfs where this user may mount one,
    else a folder that os.path.ismount takes for one, here and in builds run by _run_build."""
    folder = tmp_path / "mnt" / "site"
    folder.mkdir(parents=True)
    mounted = shutil.which("mount") is not None and (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
                       capture_output=True).returncode == 0
    )  # fmt: skip
    if not mounted:
        is_mount = os.path.ismount
        monkeypatch.setattr(
            os.path, "ismount", lambda path: os.path.realpath(path) == str(folder) or is_mount(path)
        )
        monkeypatch.setenv(SIMULATED_MOUNT, str(folder))
    assert os.path.ismount(folder)
    yield folder
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_first_build_into_a_mount_point_killed_half_way_does_not_block_the_next(
    mount_point: Path, zoo: Path
) -> None:
    killed = _run_build(
        TAKES_A_FOLDER_FOR_A_MOUNT_POINT + BUILD_THAT_IS_KILLED, zoo, mount_point, "KILL"
    )
    _out, error = killed.communicate(timeout=60)
    assert killed.returncode != 0, error
    left = [path.name for path in mount_point.iterdir()]
    assert left and all(name.startswith(".site.modelindex-new-") for name in left), left
    build_site([zoo], mount_point)
    assert (mount_point / MARKER).is_file() and (mount_point / "models" / "net.html").is_file()
    assert not [path for path in mount_point.iterdir() if path.name.startswith(".site.modelindex-")]


def test_a_mount_point_that_holds_other_hidden_folders_is_still_refused(
    mount_point: Path, zoo: Path
) -> None:
    for name in (".site.modelindex-new-not.this", ".other.modelindex-new-abcd1234", ".cache"):
        write_file(mount_point / name / "x", "not a work folder of this output")
        with pytest.raises(BuildError, match="is not empty and is not a site built by modelindex"):
            build_site([zoo], mount_point)
        shutil.rmtree(mount_point / name)


def test_an_output_that_is_a_symlink_is_refused(tmp_path: Path, zoo: Path, capsys) -> None:
    target = tmp_path / "target"
    write_file(target / "mine.txt", "keep me")
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "deep")
    for link in ("link", "dangling"):
        assert main(["build", str(zoo), "-o", str(tmp_path / link)]) == 2
        message = capsys.readouterr().err
        assert f"-o {tmp_path / link} is a symlink" in message
        assert message.count("\n") == 1
    assert _files(target) == {target / "mine.txt": b"keep me"}
    assert not (tmp_path / "nowhere").exists()


def test_a_failed_build_removes_the_output_folder_it_made(tmp_path: Path, zoo: Path) -> None:
    write_file(zoo / "net.md", CARD + "[gone](Gone.md)\n")
    with pytest.raises(BuildError, match="strict mode"):
        build_site([zoo], tmp_path / "new" / "site", strict=True)
    assert list((tmp_path / "new").iterdir()) == []


def test_a_missing_theme_template_is_not_reported_as_a_disk_error(
    tmp_path: Path, zoo: Path, monkeypatch
) -> None:
    """mkdocs raises jinja2's TemplateNotFound, an OSError too, where a page's template is
    missing (injected here, as a card can no longer choose its template)."""

    def missing_template(config: object) -> None:
        raise jinja2.TemplateNotFound("nosuch.html")

    monkeypatch.setattr("mkdocs.commands.build.build", missing_template)
    with pytest.raises(BuildError) as raised:
        build_site([zoo], tmp_path / "site")
    assert str(raised.value) == "the theme's template failed: nosuch.html not found"


def _card(name: str) -> str:
    return (
        f"# {name}\n\n<!--\nType: model-index\nCollections:\n- Name: {name}\nModels:\n"
        f"- Name: {name}-small\n  In Collection: {name}\n-->\n"
    )


def test_a_zoo_of_many_pages_leaves_them_out_of_every_pages_navigation(
    tmp_path: Path, monkeypatch
) -> None:
    # The theme writes the navigation into every page: with every collection in it, the site
    # of 10,000 models grew with the square of its size. The home page links each of them.
    import modelindex.site.plugin as plugin

    monkeypatch.setattr(plugin, "NAV_LIMIT", 2)
    for name in ("alpha", "beta", "gamma"):
        write_file(tmp_path / "zoo" / f"{name}.md", _card(name))
    site = build_site([tmp_path / "zoo"], tmp_path / "site")
    alpha = (site / "models" / "alpha.html").read_text(encoding="utf-8")
    assert "beta.html" not in alpha and "comparison.html" in alpha
    home = (site / "index.html").read_text(encoding="utf-8")
    assert all(f"models/{name}.html" in home for name in ("alpha", "beta", "gamma"))
    monkeypatch.setattr(plugin, "NAV_LIMIT", 150)
    small = build_site([tmp_path / "zoo"], tmp_path / "small")
    assert "beta.html" in (small / "models" / "alpha.html").read_text(encoding="utf-8")

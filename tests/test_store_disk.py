"""Issue 12, item 9: a full disk and a read-only store or folder are clear errors that leave the store as it
was. Once, a full disk left a partial temporary copy and "Errno 28 ... This is a bug"; a read-only store
was silently replaced by a writable one; a read-only folder gave "internal error (PermissionError)".

The full disk is real: a small tmpfs mounted in a private mount namespace (`unshare`), skipped where
that is not allowed."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adrlens.build import REPORTS_ONLY, ingest
from store_cli import caseids, cli_env, leftovers, lines, run_cli, sha256

BASE = ("faers", "samples", "nico8270_25Q4_1000cases")
MORE = ("faers", "samples", "ubesp_20Q3_first10000rows")
KB = 1024


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A reports-only store of one sample quarter (about 5 MB), copied by each test that changes it."""
    path = tmp_path_factory.mktemp("base") / "base.duckdb"
    ingest([data_dir.joinpath(*BASE)], path, parts=REPORTS_ONLY)
    return path


@pytest.fixture()
def store(tmp_path: Path, base_store: Path) -> Iterator[Path]:
    folder = tmp_path / "stores"
    folder.mkdir()
    path = folder / "s.duckdb"
    shutil.copyfile(base_store, path)
    yield path
    folder.chmod(0o755)  # so that pytest can remove a folder a test made read-only


def _mount_prefix(mnt: Path) -> list[str]:
    """`unshare` arguments under which a tmpfs can be mounted (an unprivileged user namespace, else root)."""
    if shutil.which("unshare"):
        for prefix in (["unshare", "-rm"], ["unshare", "-m"]):
            probe = subprocess.run(
                [*prefix, "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {shlex.quote(str(mnt))}"],
                capture_output=True,
            )
            if probe.returncode == 0:
                return prefix
    pytest.skip("cannot mount a small tmpfs here (needs unshare with user namespaces, or root)")


def _ingest_on_small_disk(tmp_path: Path, base: Path, more: Path, size: int) -> tuple[int, str, list[str], str]:
    """Copy `base` onto a tmpfs of `size` bytes and ingest `more` into it: exit code, stderr, the files left
    on the tmpfs and the store's sha256 afterwards (the mount lives only as long as the shell)."""
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    q = shlex.quote
    cli = " ".join(q(a) for a in [sys.executable, "-m", "adrlens.cli", "ingest", str(more), "--reports-only", "-q"])
    script = (
        f"mount -t tmpfs -o size={size // KB}k tmpfs {q(str(mnt))} && cp {q(str(base))} {q(str(mnt / 's.duckdb'))} && "
        f"{{ {cli} --store {q(str(mnt / 's.duckdb'))} 2>{q(str(out / 'err'))}; echo $? >{q(str(out / 'rc'))}; }}; "
        f"ls -A {q(str(mnt))} >{q(str(out / 'ls'))}; sha256sum {q(str(mnt / 's.duckdb'))} >{q(str(out / 'sha'))}"
    )
    subprocess.run(
        [*_mount_prefix(mnt), "sh", "-c", script], check=True, timeout=600, env=cli_env(ADRLENS_MIN_FREE_MB="0")
    )
    return (
        int((out / "rc").read_text()),
        (out / "err").read_text(),
        (out / "ls").read_text().split(),
        (out / "sha").read_text().split()[0],
    )


def _assert_disk_full_refusal(rc: int, err: str) -> None:
    assert rc == 2, err
    assert "Traceback" not in err and "bug" not in err
    said = lines(err)
    assert len(said) == 1 and said[0].startswith("error: not enough disk space in "), said
    assert "The store is unchanged." in said[0]


def test_a_disk_filling_up_during_the_build(tmp_path: Path, base_store: Path, data_dir: Path) -> None:
    # Room for the copy of the store and 1 MB more: the new quarter (about 5 MB) does not fit.
    size = 2 * base_store.stat().st_size + 1024 * KB
    rc, err, files, sha = _ingest_on_small_disk(tmp_path, base_store, data_dir.joinpath(*MORE), size)
    _assert_disk_full_refusal(rc, err)
    assert files == ["s.duckdb"] and sha == sha256(base_store)


def test_no_room_for_the_copy_is_refused_before_copying(tmp_path: Path, base_store: Path, data_dir: Path) -> None:
    size = base_store.stat().st_size + 1024 * KB
    rc, err, files, sha = _ingest_on_small_disk(tmp_path, base_store, data_dir.joinpath(*MORE), size)
    _assert_disk_full_refusal(rc, err)
    assert "free 0 MB" in err or "free 1 MB" in err
    assert files == ["s.duckdb"] and sha == sha256(base_store)


def test_the_free_space_margin_is_checked_before_any_work(store: Path, data_dir: Path) -> None:
    before = sha256(store)
    proc = run_cli("ingest", data_dir.joinpath(*MORE), "--store", store, env=cli_env(ADRLENS_MIN_FREE_MB="1e12"))
    _assert_disk_full_refusal(proc.returncode, proc.stderr)
    assert "ADRLENS_MIN_FREE_MB" in proc.stderr
    assert sha256(store) == before and leftovers(store.parent) == []


def test_a_read_only_store_is_refused_not_replaced(store: Path, data_dir: Path) -> None:
    # Refused from its mode bits, so also when the tests run as root (whom the OS would let write).
    store.chmod(0o444)
    inode, before = store.stat().st_ino, sha256(store)
    proc = run_cli("ingest", data_dir.joinpath(*MORE), "--store", store)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert lines(proc.stderr) == [
        f"error: the store {store} is read-only; make it writable (chmod u+w {store}) or choose another --store."
    ]
    st = store.stat()
    assert (st.st_ino, stat.S_IMODE(st.st_mode), sha256(store)) == (inode, 0o444, before)
    assert leftovers(store.parent) == []


def test_a_replaced_store_keeps_its_file_mode(store: Path, data_dir: Path) -> None:
    store.chmod(0o640)
    proc = run_cli("ingest", data_dir.joinpath(*MORE), "--store", store, "--reports-only", "-q")
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(store.stat().st_mode) == 0o640
    assert len(caseids(store)) > 1000


@pytest.mark.parametrize("existing", [True, False])
def test_a_read_only_folder_is_refused_naming_it(store: Path, data_dir: Path, existing: bool) -> None:
    target = store if existing else store.with_name("new.duckdb")
    before = sha256(store)
    store.parent.chmod(0o555)
    proc = run_cli("ingest", data_dir.joinpath(*MORE), "--store", target)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    said = lines(proc.stderr)
    assert len(said) == 1 and said[0].startswith(f"error: the folder {store.parent} is read-only"), said
    assert f"chmod u+w {store.parent}" in said[0]
    assert sorted(os.listdir(store.parent)) == ["s.duckdb"] and sha256(store) == before

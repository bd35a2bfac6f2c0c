"""A corrupt write-ahead log is refused on open, naming the file (DataLossError embedded, a
non-zero exit of durable-server), unless the user accepts the loss; a directory is opened
once per machine whatever path names it; a full disk refuses new work and serves again once
space is freed (both transports)."""

from __future__ import annotations

import asyncio
import glob
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable.client import Client
from durable.exceptions import DataLossError, NotFoundError, ResourceExhaustedError
from durable._server_process import ServerProcess, server_binary

WORKFLOWS = 200


async def _fill(directory: str) -> None:
    """WORKFLOWS started with synced writes (the default): each one a record in the WAL."""
    client = await Client.connect(directory)
    for i in range(WORKFLOWS):
        await client.start_workflow("Wf", id=f"wf-{i}", task_queue="q")
    await client.close()


def _wal(directory: str) -> str:
    logs = glob.glob(os.path.join(directory, "*.log"))
    assert len(logs) == 1, logs
    return logs[0]


def _overwrite_middle(wal: str) -> None:
    with open(wal, "r+b") as f:
        f.seek(os.path.getsize(wal) // 2)
        f.write(b"Z" * 100)


def _flip_first_byte(wal: str) -> None:
    with open(wal, "r+b") as f:
        b = f.read(1)
        f.seek(0)
        f.write(bytes([b[0] ^ 0x40]))


async def _kept(client: Client) -> tuple[bool, bool]:
    """Whether the first and the last workflow survived."""
    async def exists(wid: str) -> bool:
        try:
            await client.get_workflow_handle(wid).describe()
            return True
        except NotFoundError:
            return False
    return await exists("wf-0"), await exists(f"wf-{WORKFLOWS - 1}")


async def test_embedded_corrupt_wal_is_data_loss_error(tmp_path: Path) -> None:
    directory = str(tmp_path / "db")
    await _fill(directory)
    wal = _wal(directory)
    _flip_first_byte(wal)
    with pytest.raises(DataLossError, match=f"write-ahead log '{wal}' is corrupt at offset 0 "
                                            r"\(checksum mismatch\).*accept_data_loss"):
        await Client.connect(directory)


async def test_embedded_accept_data_loss_opens_with_the_prefix(tmp_path: Path) -> None:
    directory = str(tmp_path / "db")
    await _fill(directory)
    _overwrite_middle(_wal(directory))
    with pytest.raises(DataLossError):
        await Client.connect(directory)
    client = await Client.connect(directory, accept_data_loss=True)
    assert await _kept(client) == (True, False)
    await client.close()
    # Accepted once: it opens normally afterwards.
    client = await Client.connect(directory)
    assert await _kept(client) == (True, False)
    await client.close()


async def test_embedded_symlink_shares_the_open_directory(tmp_path: Path) -> None:
    directory = tmp_path / "db"
    link = tmp_path / "link"
    directory.mkdir()
    link.symlink_to(directory)
    first = await Client.connect(str(directory))
    await first.start_workflow("Wf", id="one", task_queue="q")
    second = await Client.connect(str(link))  # the same engine, not a second one
    await second.get_workflow_handle("one").describe()
    await second.close()
    await first.close()


def test_server_refuses_corrupt_wal_then_accepts_data_loss(tmp_path: Path) -> None:
    directory = str(tmp_path / "db")
    asyncio.run(_fill(directory))
    wal = _wal(directory)
    _overwrite_middle(wal)

    refused = subprocess.run([server_binary(), "--db", directory, "--listen", "127.0.0.1:0"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert f"write-ahead log '{wal}' is corrupt at offset" in refused.stderr
    assert "--accept-data-loss" in refused.stderr

    with ServerProcess(directory, args=["--accept-data-loss"]) as proc:
        async def check() -> tuple[bool, bool]:
            client = await Client.connect(proc.address)
            try:
                return await _kept(client)
            finally:
                await client.close()
        assert asyncio.run(check()) == (True, False)
        assert any("opened with accept_data_loss" in line for line in proc.log), proc.log


def test_server_refuses_a_directory_open_in_this_process(tmp_path: Path) -> None:
    directory = tmp_path / "db"
    link = tmp_path / "link"
    directory.mkdir()
    link.symlink_to(directory)

    async def hold_and_try() -> subprocess.CompletedProcess[str]:
        client = await Client.connect(str(directory))
        try:
            return subprocess.run([server_binary(), "--db", str(link), "--listen", "127.0.0.1:0"],
                                  capture_output=True, text=True, timeout=60)
        finally:
            await client.close()
    refused = asyncio.run(hold_and_try())
    assert refused.returncode != 0
    assert (f"directory '{os.path.realpath(directory)}' (opened as '{link}') is already open "
            f"by another process (pid {os.getpid()})") in refused.stderr


def test_cli_db_refuses_corrupt_wal_then_accepts_data_loss(tmp_path: Path) -> None:
    import sys

    directory = str(tmp_path / "db")
    asyncio.run(_fill(directory))
    wal = _wal(directory)
    _overwrite_middle(wal)
    cmd = [sys.executable, "-m", "durable", "workflow", "describe", "--db", directory,
           "--workflow-id", "wf-0"]
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1, refused.stderr
    assert f"write-ahead log '{wal}' is corrupt at offset" in refused.stderr
    accepted = subprocess.run([*cmd, "--accept-data-loss"], capture_output=True, text=True,
                              timeout=120)
    assert accepted.returncode == 0, accepted.stderr
    assert "wf-0" in accepted.stdout


# --- A full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs (the tests run as root here and in CI)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        if os.geteuid() != 0:
            pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.strip()}")
        pytest.fail(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill_disk(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"f" * (1 << 20))
                f.flush()
        except OSError:
            pass
    return filler


async def _refused_then_served(client: Client, disk: Path, directory: str) -> None:
    await client.start_workflow("Wf", id="before", task_queue="q")
    filler = _fill_disk(disk)
    with pytest.raises(ResourceExhaustedError, match=f"no space left on the device of "
                                                     f"'{directory}'"):
        for i in range(20000):
            await client.start_workflow("Wf", id=f"full-{i}", task_queue="q")
    await client.get_workflow_handle("before").describe()  # reads still work
    filler.unlink()
    for _ in range(1000):  # the engine resumes on a write once space is back
        try:
            await client.start_workflow("Wf", id="after", task_queue="q")
            break
        except ResourceExhaustedError:
            await asyncio.sleep(0.05)
    await client.get_workflow_handle("after").describe()


async def test_embedded_full_disk_refuses_then_serves(small_disk: Path) -> None:
    directory = str(small_disk / "db")
    client = await Client.connect(directory)
    try:
        await _refused_then_served(client, small_disk, directory)
    finally:
        await client.close()


async def test_server_full_disk_refuses_then_serves(small_disk: Path) -> None:
    directory = str(small_disk / "db")
    with ServerProcess(directory) as proc:
        client = await Client.connect(proc.address)
        try:
            await _refused_then_served(client, small_disk, directory)
        finally:
            await client.close()

"""Atomic writes, file hashing and the garbage-collector pause."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run builds records, findings, reports or binder pages.

    That data is acyclic (reference counting frees it); with the collector on, every few thousand
    new objects set off a traversal of all objects made so far, which made reading a large export
    and a cached 50,000-record run two to three times slower. On the way out, when the collector
    was on before, the objects made meanwhile are moved to the oldest generation (``gc.freeze``
    then ``gc.unfreeze``: two list splices), so turning it back on does not set off a young-generation
    collection that walks every one of them at once (0.2 s after a 50,000-record run). Nested
    pauses leave the restoring to the outermost one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, read in 1 MiB chunks."""
    return sha256_head_size(path, 0)[0]


def sha256_head_size(path: Path, head: int) -> tuple[str, bytes, int]:
    """Return a file's SHA-256, its first ``head`` bytes and its size, reading it once.

    A file of at most 1 MiB is read in one call sized by ``fstat``; a larger one through one reused
    1 MiB buffer (a fresh 1 MiB buffer per file costs more in page faults than hashing a small file).
    """
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        if os.fstat(fh.fileno()).st_size <= CHUNK:
            data = fh.readall()
            h.update(data)
            return h.hexdigest(), data[:head], len(data)
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        size = 0
        first = b""
        while n := fh.readinto(buf):
            if size == 0:
                first = bytes(view[: min(n, head)])
            h.update(view[:n])
            size += n
    return h.hexdigest(), first, size


@contextlib.contextmanager
def atomic_write(path: Path, *, fsync: bool = True, private: bool = False) -> Iterator[BinaryIO]:
    """Write to a temp file beside ``path`` and move it into place only when the block succeeds.

    A crash or exception at any point leaves the previous file (if any) untouched and no partial
    file at ``path``. ``fsync=False`` skips flushing to disk (for caches that checksum their
    entries, where a power loss may lose an entry but never passes off a torn one).

    The file gets the mode ``open()`` gives a new file, 0666 less the umask (0644 under the usual
    umask 022), so colleagues and web servers can read a binder or report as they could any other
    file the user writes; ``private=True`` gives 0600 instead (the cache: it holds the records).
    Replacing an existing file keeps its permission bits, as writing it in place would: a binder the
    user locked down to 0600 stays so on the next nightly rebuild.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    keep: int | None = None
    if not private:
        with contextlib.suppress(OSError):
            keep = stat.S_IMODE(os.stat(path).st_mode)
    fd, tmp = _create_temp(path, 0o600 if private else 0o666)
    try:
        if keep is not None:
            os.fchmod(fd, keep)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _create_temp(path: Path, mode: int) -> tuple[int, str]:
    """Create ``.<name>.<random>.tmp`` beside ``path`` exclusively, with ``mode`` less the umask (as ``open()`` does).

    ``tempfile.mkstemp`` always creates 0600, whatever the umask; the kernel applies the umask to
    the mode given here, so no process-wide ``os.umask`` call (racy with threads) is needed.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = True, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path, fsync=fsync, private=private) as fh:
        fh.write(data)


def spool_dir() -> tempfile.TemporaryDirectory[str]:
    """Return a fresh folder for results a worker process hands back: in memory (``/dev/shm``) where there is one.

    A result of a few hundred kilobytes or more, sent through a process pool's pipe, goes in 64 KiB
    pieces, each read by a thread of the receiving process that first needs the interpreter lock; while
    that process computes, the sender sits blocked on its writes. Written to a file, it costs a copy.
    """
    shm = Path("/dev/shm")
    where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix="evidence-kit-", dir=where)

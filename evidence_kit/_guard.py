"""Run one risky piece of work (reading a hostile PDF) under a hard time and memory budget.

:func:`guarded` forks a child (POSIX) that lowers its own address-space limit
(``resource.setrlimit(RLIMIT_AS)``) to what it uses now plus :data:`MEMORY_BUDGET`, runs the function
and sends the pickled result back through a pipe. The parent waits at most :data:`TIME_BUDGET`
seconds, then kills the child (SIGKILL) and raises :class:`BudgetExceeded`. A child that dies
(``MemoryError``, a crash in native code, the kernel's OOM killer) raises it as well, with the reason.

Ingest uses :class:`Worker` instead: one long-lived forked child per run that reads file after file
(a fork per file cost ~35 ms per PDF, mostly re-warming lazy imports; the worker costs a pipe round
trip). Only sources that declare ``isolate = True`` (the PDF source) are read this way; JSON, XML
and CSV parsing is already bounded by the strict parsers (depth limits, entity refusal). Where
``fork`` is unavailable (Windows) :func:`guarded` runs in-process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import select
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

TIME_BUDGET = 10.0  #: seconds of wall-clock time per guarded call
MEMORY_BUDGET = 512 * 1024 * 1024  #: bytes of address space a guarded call may add to the process

T = TypeVar("T")


class BudgetExceeded(Exception):
    """The guarded call ran out of time or memory, or its process died; the message says which."""


def _vm_size() -> int:
    """Return this process's current virtual memory size in bytes (0 where /proc is absent)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(fn: Callable[[], Any], wfd: int, memory: int) -> None:
    code = 0
    try:
        base = _vm_size()
        if base and memory:
            limit = base + memory
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        try:
            payload = pickle.dumps(("ok", fn()), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", None))
        except BaseException as exc:  # handed back and re-raised in the parent, like an in-process call
            tb = "".join(traceback.format_exception(exc, limit=-3))
            try:
                payload = pickle.dumps(("raise", exc))
            except Exception:
                payload = pickle.dumps(("crash", f"{type(exc).__name__}: {exc}\n{tb}"))
        view = memoryview(payload)
        while view:
            view = view[os.write(wfd, view) :]
    except BaseException:  # nothing sensible left to do in a forked child but to say it failed
        code = 70
    finally:
        os._exit(code)


def guarded(fn: Callable[[], T], *, timeout: float = TIME_BUDGET, memory: int = MEMORY_BUDGET, what: str = "") -> T:
    """Return ``fn()``, computed in a forked child under the time and memory budget.

    Args:
        fn: The work; it and its result must be picklable-free of open handles (the result is pickled).
        timeout: Wall-clock seconds before the child is killed.
        memory: Address-space bytes the child may add to what the process already maps.
        what: Names the work in the messages (e.g. the file).

    Raises:
        BudgetExceeded: The child overran the time or memory budget, or died.
        Exception: Whatever ``fn`` raised, re-raised here.
    """
    if not hasattr(os, "fork") or sys.platform == "win32":
        return fn()
    rfd, wfd = os.pipe()
    with warnings.catch_warnings():  # fork in a multi-threaded process: the child only runs fn and exits
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(rfd)
        _child(fn, wfd, memory)
    os.close(wfd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if not ready:
                continue
            chunk = os.read(rfd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(rfd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    label = f"{what}: " if what else ""
    if timed_out:
        raise BudgetExceeded(f"{label}exceeded the time budget ({timeout:g} s); the work was stopped")
    if not chunks:
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            reason = "exceeded the memory budget" if sig == signal.SIGKILL else f"crashed (signal {sig})"
        else:
            reason = f"ended without a result (exit status {os.WEXITSTATUS(status)})"
        raise BudgetExceeded(f"{label}{reason}")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "memory":
        raise BudgetExceeded(f"{label}exceeded the memory budget ({memory // (1024 * 1024)} MB)")
    if kind == "raise":
        raise value
    raise RuntimeError(value)


def _send(fd: int, payload: bytes) -> None:
    view = memoryview(len(payload).to_bytes(8, "big") + payload)
    while view:
        view = view[os.write(fd, view) :]


def _recv(fd: int, deadline: float | None) -> bytes | None:
    """Read one length-prefixed message; None on end of file; TimeoutError past ``deadline``."""
    buf = bytearray()
    need = 8
    size: int | None = None
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                if time.monotonic() >= deadline:
                    raise TimeoutError
                continue
        chunk = os.read(fd, max(need - len(buf), 1 << 16) if size is None else min(1 << 20, need - len(buf)))
        if not chunk:
            return None
        buf += chunk
        if size is None and len(buf) >= 8:
            size, buf = int.from_bytes(buf[:8], "big"), buf[8:]
            need = size
        if size is not None and len(buf) >= need:
            return bytes(buf)


def _close_inherited(*keep: int) -> None:  # pragma: no cover - runs in a forked child
    """Close every inherited descriptor but stdio and ``keep``.

    A child that kept the write end of another reader's request pipe (inherited from the parent)
    would keep that reader waiting after the parent is gone; with only its own pipes open, each
    reader stops as soon as the process that owns it does.
    """
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


class Worker:
    """A long-lived forked child that runs ``handler(*args)`` under the budget, one call at a time.

    One fork per run instead of one per file: the child keeps whatever the handler warmed up
    (imports, font tables), so a guarded call costs a pipe round trip. On a time overrun, a memory
    overrun or a crash the child is killed and the next call forks a fresh one.
    """

    def __init__(self, handler: Callable[..., Any], *, memory: int = MEMORY_BUDGET) -> None:
        self.handler = handler
        self.memory = memory
        self.pid = 0
        self.owner = 0
        self.fds = (-1, -1)

    def _start(self) -> None:
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            _close_inherited(req_r, res_w)
            self._serve(req_r, res_w)
        os.close(req_r)
        os.close(res_w)
        self.pid, self.owner, self.fds = pid, os.getpid(), (req_w, res_r)

    def _serve(self, req: int, res: int) -> None:  # pragma: no cover - runs in the child
        code = 0
        try:
            base = _vm_size()
            if base and self.memory:
                _, hard = resource.getrlimit(resource.RLIMIT_AS)
                limit = base + self.memory if hard == resource.RLIM_INFINITY else min(base + self.memory, hard)
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            while (msg := _recv(req, None)) is not None:
                try:
                    out = pickle.dumps(("ok", self.handler(*pickle.loads(msg))), protocol=pickle.HIGHEST_PROTOCOL)
                except MemoryError:
                    _send(res, pickle.dumps(("memory", None)))
                    break
                except BaseException as exc:
                    try:
                        out = pickle.dumps(("raise", exc))
                    except Exception:
                        out = pickle.dumps(("crash", f"{type(exc).__name__}: {exc}"))
                _send(res, out)
        except BaseException:
            code = 70
        finally:
            os._exit(code)

    def close(self) -> None:
        """Stop the child (it also stops by itself when this process exits: its request pipe closes)."""
        if self.pid and self.owner == os.getpid():
            for fd in self.fds:
                os.close(fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.pid = 0

    def call(self, *args: Any, timeout: float = TIME_BUDGET, what: str = "") -> Any:
        """Return ``handler(*args)`` computed in the child within ``timeout`` seconds.

        Raises:
            BudgetExceeded: The call overran the time or memory budget, or the child died.
            Exception: Whatever the handler raised.
        """
        if os.getpid() != self.owner:  # first call, or in a forked worker of the parent: a child of our own
            self.pid = 0
            self._start()
        label = f"{what}: " if what else ""
        try:
            _send(self.fds[0], pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))
            msg = _recv(self.fds[1], time.monotonic() + timeout)
        except TimeoutError:
            self.close()
            self.owner = 0
            raise BudgetExceeded(f"{label}exceeded the time budget ({timeout:g} s); the work was stopped") from None
        except OSError:
            msg = None
        if msg is None:
            _, status = os.waitpid(self.pid, 0)
            for fd in self.fds:
                os.close(fd)
            self.pid = self.owner = 0
            died = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            raise BudgetExceeded(f"{label}{'exceeded the memory budget' if died else 'the reading process crashed'}")
        kind, value = pickle.loads(msg)
        if kind == "ok":
            return value
        if kind == "memory":
            self.close()
            self.owner = 0
            raise BudgetExceeded(f"{label}exceeded the memory budget ({self.memory // (1024 * 1024)} MB)")
        if kind == "raise":
            raise value
        raise RuntimeError(value)

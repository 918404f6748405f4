"""Run one risky piece of work (reading a hostile PDF) under a hard time and memory budget.

:func:`guarded` forks a child (POSIX) that lowers its own address-space limit
(``resource.setrlimit(RLIMIT_AS)``) to what it uses now plus :data:`MEMORY_BUDGET`, runs the function
and sends the pickled result back through a pipe. The parent waits at most :data:`TIME_BUDGET`
seconds, then kills the child (SIGKILL) and raises :class:`BudgetExceeded`. A child that dies
(``MemoryError``, a crash in native code, the kernel's OOM killer) raises it as well, with the reason.

A fork costs a few milliseconds (measured: see docs/security.md), so only sources that declare
``isolate = True`` (the PDF source) are read this way; JSON, XML and CSV parsing is already bounded
by the strict parsers. Where ``fork`` is unavailable (Windows) the function runs in-process.
"""

from __future__ import annotations

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

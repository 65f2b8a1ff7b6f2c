"""A small supervisor: child processes with prefixed logs, readiness checks and a clean stop.

Each child runs in its own process group, so a Ctrl-C in the terminal reaches only `prm up`,
which then stops the children in order; on Linux a child also gets SIGTERM if `prm up` dies
without a chance to clean up.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

import httpx
from rich.console import Console
from rich.text import Text

TAIL_LINES = 30
COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "bright_red", "bright_cyan")
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with_parent() -> None:
    # Runs in the child between fork and exec; the library was loaded beforehand in the parent.
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: Sequence[str]
    environment: Mapping[str, str]
    ready_url: str


@dataclass
class Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes]
    prefix: str
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    ready: bool = False
    reader: threading.Thread | None = None

    def finish_reading(self) -> None:
        """Give the log reader a moment to reach the end of an exited child's output."""
        if self.reader is not None:
            self.reader.join(timeout=2.0)


class ChildFailed(Exception):
    """A child exited, or did not become ready in time; carries its last log lines."""

    def __init__(self, name: str, reason: str, tail: Sequence[str]) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.tail = list(tail)


class StopRequested(Exception):
    """A signal asked the supervisor to stop while it was still starting the children."""


class Supervisor:
    def __init__(self, console: Console, *, grace_seconds: float = 10.0) -> None:
        self.console = console
        self.grace_seconds = grace_seconds
        self.children: list[Child] = []
        self._lines: queue.Queue[tuple[Child, str | None]] = queue.Queue()
        self._stop = threading.Event()
        self._width = 0

    # -- signals ---------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """SIGINT and SIGTERM ask for a clean stop; a second one kills the children at once."""
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._stop.is_set():
            self._signal_groups(signal.SIGKILL)
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- start -----------------------------------------------------------------------------------

    def spawn(self, specs: Sequence[ChildSpec]) -> None:
        """Start every child, then their log readers (no thread exists while forking)."""
        self._width = max(len(spec.name) for spec in specs)
        for index, spec in enumerate(specs):
            process = subprocess.Popen(  # noqa: S603 - the command is ours, built from the service table
                list(spec.command),
                env=dict(spec.environment),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=_die_with_parent,  # safe here: no thread of ours exists yet, see above
            )
            self.children.append(Child(spec, process, self._prefix(spec.name, COLOURS[index % len(COLOURS)])))
        for child in self.children:
            child.reader = threading.Thread(target=self._read_lines, args=(child,), daemon=True)
            child.reader.start()

    def _prefix(self, name: str, colour: str) -> str:
        with self.console.capture() as capture:
            self.console.print(Text(f"{name:<{self._width}} | ", style=f"bold {colour}"), end="")
        return capture.get()

    def _read_lines(self, child: Child) -> None:
        assert child.process.stdout is not None
        for raw in child.process.stdout:
            self._lines.put((child, raw.decode("utf-8", "replace").rstrip("\r\n")))
        self._lines.put((child, None))

    def wait_ready(self, timeout_seconds: float) -> None:
        """Stream logs until every child answers its readiness URL with 200.

        Raises ChildFailed if one exits or the time runs out, StopRequested on a signal.
        """
        deadline = time.monotonic() + timeout_seconds
        with httpx.Client(timeout=2.0) as client:
            while not all(child.ready for child in self.children):
                self.print_logs(wait_seconds=0.25)
                if self._stop.is_set():
                    raise StopRequested
                self._check_alive()
                for child in self.children:
                    if not child.ready:
                        child.ready = _answers_ok(client, child.spec.ready_url)
                if time.monotonic() > deadline:
                    late = next(child for child in self.children if not child.ready)
                    raise ChildFailed(
                        late.spec.name, f"was not ready within {timeout_seconds:.0f} s", late.tail
                    )

    # -- run -------------------------------------------------------------------------------------

    def run_until_stopped(self) -> None:
        """Stream logs until a signal asks to stop (returns) or a child exits (raises ChildFailed)."""
        while not self._stop.is_set():
            self.print_logs(wait_seconds=0.25)
            self._check_alive()

    def _check_alive(self) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                child.finish_reading()
                self.print_logs(wait_seconds=0)
                raise ChildFailed(child.spec.name, f"exited with code {code}", child.tail)

    def print_logs(self, *, wait_seconds: float) -> None:
        """Write every pending log line, waiting up to `wait_seconds` for the first one."""
        try:
            batch = [self._lines.get(timeout=wait_seconds) if wait_seconds > 0 else self._lines.get_nowait()]
        except queue.Empty:
            return
        while True:
            try:
                batch.append(self._lines.get_nowait())
            except queue.Empty:
                break
        out: list[str] = []
        for child, line in batch:
            if line is not None:
                child.tail.append(line)
                out.append(f"{child.prefix}{line}\n")
        # One write per batch keeps up with chatty children, so their pipes never fill.
        self.console.file.write("".join(out))
        self.console.file.flush()

    # -- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM every child's group, wait up to the grace period, then SIGKILL what is left."""
        self._signal_groups(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.console.print(f"[yellow]{child.spec.name} did not stop in time; killing it[/]")
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
        for child in self.children:
            child.finish_reading()
        self.print_logs(wait_seconds=0)

    def _signal_groups(self, signum: int) -> None:
        for child in self.children:
            if child.process.poll() is None:
                _signal_group(child.process, signum)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)  # the child leads its own group (process_group=0)


def _answers_ok(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False

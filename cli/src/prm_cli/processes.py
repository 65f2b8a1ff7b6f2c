"""A small supervisor: child processes with prefixed logs, readiness checks, restarts and a clean stop.

Each child runs in its own process group, so a Ctrl-C in the terminal reaches only `prm up`,
which then stops the children in order; on Linux a child also gets SIGTERM if `prm up` dies
without a chance to clean up.

A child that dies is started again, the others keep running meanwhile (the gateway answers 503
for a dead service's routes until it is back). The waits before a restart follow `RestartPolicy`:
0.5 s, doubling up to 30 s, and back to 0.5 s once a child has stayed up for 60 s. The supervisor
gives up — stops everything, exit code 1, with the dead child's last log lines — only when one
child dies 5 times within 120 s, since a child that keeps dying needs a person, not more restarts.

Starting is judged by progress, not by the clock alone: a child that is not ready yet but still
prints log lines or uses CPU time (read from `/proc/<pid>/stat`) is busy importing or migrating
under load, not stuck. It fails only after `timeout_seconds` without any such sign — counted from
its first answer once it answers its readiness check with something other than 200, since it is
then waiting for something (a database) rather than working — or after `limit_seconds` (10 min)
however busy it is.

The supervisor's view of its children is rewritten atomically to a JSON file on each change (for
`prm up`, `<data_dir>/supervisor.json`), for anyone who wants to show it (the gateway's status page):

    {"supervisor_pid": 41, "state": "running", "updated_at": "2025-01-31T09:00:00+00:00",
     "children": [{"name": "registry", "pid": 42, "state": "ready", "restarts": 1,
                   "started_at": "...", "last_exit": {"code": -9, "description": "was killed by
                   SIGKILL", "at": "..."}}, ...]}

with the supervisor in `starting`, `running`, `stopping`, `stopped` or `failed`, and each child in
`starting`, `ready`, `restarting` (dead, waiting for its restart), `failed` (given up) or `stopped`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.text import Text

TAIL_LINES = 30
COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "bright_red", "bright_cyan")
START_LIMIT_SECONDS = 600.0
TICK_SECONDS = 0.25

# Between fork and exec, a child may only run async-signal-safe code once the parent has threads (our
# log readers), so the parent-death signal is set by a tiny interpreter that then execs the real command.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(1)  # the supervisor died before the signal was set\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)

STARTING, READY, RESTARTING, FAILED, STOPPED = "starting", "ready", "restarting", "failed", "stopped"


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: Sequence[str]
    environment: Mapping[str, str]
    ready_url: str


@dataclass(frozen=True)
class RestartPolicy:
    """How long to wait before starting a dead child again, and when to give up on it."""

    first_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0
    stable_after_seconds: float = 60.0  # a child up this long starts over from the first delay
    max_deaths: int = 5
    death_window_seconds: float = 120.0


NO_RESTARTS = RestartPolicy(max_deaths=1)


@dataclass
class Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes]
    prefix: str
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    state: str = STARTING
    restarts: int = 0
    started_at: float = field(default_factory=time.monotonic)
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_exit: dict[str, Any] | None = None
    deaths: deque[float] = field(default_factory=deque)
    next_delay: float = 0.0
    restart_at: float | None = None
    progress_at: float = field(default_factory=time.monotonic)
    cpu_ticks: int = 0
    answered_at: float | None = None  # first non-200 answer to its readiness check in this life
    stall_reported: bool = False
    reader: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.state == READY

    def finish_reading(self) -> None:
        """Give the log reader a moment to reach the end of an exited child's output."""
        if self.reader is not None:
            self.reader.join(timeout=2.0)

    def view(self) -> dict[str, Any]:
        """This child as `supervisor.json` shows it."""
        return {
            "name": self.spec.name,
            "pid": self.process.pid if self.process.returncode is None else None,
            "state": self.state,
            "restarts": self.restarts,
            "started_at": self.started_on.isoformat(timespec="seconds"),
            "last_exit": self.last_exit,
        }


class ChildFailed(Exception):
    """A child kept dying, or did not become ready in time; carries its last log lines."""

    def __init__(self, name: str, reason: str, tail: Sequence[str]) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.tail = list(tail)


class StopRequested(Exception):
    """A signal asked the supervisor to stop while it was still starting the children."""


class Supervisor:
    def __init__(
        self,
        console: Console,
        *,
        grace_seconds: float = 10.0,
        policy: RestartPolicy | None = None,
        state_file: Path | None = None,
    ) -> None:
        self.console = console
        self.grace_seconds = grace_seconds
        self.policy = policy or RestartPolicy()
        self.state_file = state_file
        self.children: list[Child] = []
        self._lines: queue.Queue[tuple[Child, subprocess.Popen[bytes], str | None]] = queue.Queue()
        self._stop = threading.Event()
        self._state = STARTING
        self._stall_seconds = 60.0
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
        """Start every child with its log reader."""
        self._width = max(len(spec.name) for spec in specs)
        for index, spec in enumerate(specs):
            prefix = self._prefix(spec.name, COLOURS[index % len(COLOURS)])
            child = Child(spec, self._popen(spec), prefix, next_delay=self.policy.first_delay_seconds)
            self.children.append(child)
            self._read_in_background(child)
        self._write_state()

    def _popen(self, spec: ChildSpec) -> subprocess.Popen[bytes]:
        command = list(spec.command)
        if sys.platform == "linux":
            command = [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]
        return subprocess.Popen(  # noqa: S603 - the command is ours, built from the service table
            command,
            env=dict(spec.environment),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
        )

    def _read_in_background(self, child: Child) -> None:
        child.reader = threading.Thread(target=self._read_lines, args=(child, child.process), daemon=True)
        child.reader.start()

    def _prefix(self, name: str, colour: str) -> str:
        with self.console.capture() as capture:
            self.console.print(Text(f"{name:<{self._width}} | ", style=f"bold {colour}"), end="")
        return capture.get()

    def _read_lines(self, child: Child, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self._lines.put((child, process, raw.decode("utf-8", "replace").rstrip("\r\n")))
        self._lines.put((child, process, None))

    def wait_ready(self, timeout_seconds: float, *, limit_seconds: float = START_LIMIT_SECONDS) -> None:
        """Stream logs (restarting children that die) until every child answers its readiness URL with 200.

        Raises ChildFailed if one keeps dying, goes `timeout_seconds` without progress or is still not
        ready after `max(limit_seconds, timeout_seconds)`; StopRequested on a signal.
        """
        self._stall_seconds = timeout_seconds
        bound = max(limit_seconds, timeout_seconds)
        limit = time.monotonic() + bound
        with httpx.Client(timeout=2.0) as client:
            while not all(child.ready for child in self.children):
                self._tick(client)
                if self._stop.is_set():
                    raise StopRequested
                now = time.monotonic()
                for child in self.children:
                    if child.state == STARTING and (
                        reason := _stuck(child, now, timeout_seconds, limit, bound)
                    ):
                        raise self._failed(child, reason)
        self._state = "running"
        self._write_state()

    # -- run -------------------------------------------------------------------------------------

    def run_until_stopped(self) -> None:
        """Stream logs and restart dying children until a signal asks to stop (returns) or one keeps
        dying (raises ChildFailed). A restarted child slow to get ready is only reported."""
        self._state = "running"
        with httpx.Client(timeout=2.0) as client:
            while not self._stop.is_set():
                self._tick(client)
                now = time.monotonic()
                for child in self.children:
                    since = child.answered_at if child.answered_at is not None else child.progress_at
                    if (
                        child.state == STARTING
                        and not child.stall_reported
                        and now - since > self._stall_seconds
                    ):
                        child.stall_reported = True
                        self.console.print(
                            f"[yellow]{child.spec.name} is running but not ready after "
                            f"{now - child.started_at:.0f} s; still waiting for it[/]"
                        )

    def _tick(self, client: httpx.Client) -> None:
        """One round: print logs, handle deaths, start due restarts, check readiness and progress."""
        self.print_logs(wait_seconds=TICK_SECONDS)
        if self._stop.is_set():
            return
        for child in self.children:
            self._reap(child)
        now = time.monotonic()
        for child in self.children:
            if child.state == RESTARTING and child.restart_at is not None and now >= child.restart_at:
                self._restart(child)
        for child in self.children:
            if child.state == STARTING:
                self._check_start(child, client)

    def _check_start(self, child: Child, client: httpx.Client) -> None:
        status = _readiness(client, child.spec.ready_url)
        now = time.monotonic()
        if status == 200:
            child.state = READY
            if child.restarts:
                self.console.print(f"[green]{child.spec.name} is ready again[/] (restart {child.restarts})")
            self._write_state()
            return
        if status is not None and child.answered_at is None:
            child.answered_at = now
        ticks = _cpu_ticks(child.process.pid)
        if ticks is not None and ticks > child.cpu_ticks:
            child.cpu_ticks = ticks
            child.progress_at = now

    def _reap(self, child: Child) -> None:
        """If the child has died: note it, then schedule its restart or give up on it (ChildFailed)."""
        if child.state in {RESTARTING, FAILED, STOPPED}:
            return
        code = child.process.poll()
        if code is None:
            return
        child.finish_reading()
        self.print_logs(wait_seconds=0)
        now = time.monotonic()
        description = _describe_exit(code)
        child.last_exit = {
            "code": code,
            "description": description,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        child.deaths.append(now)
        while child.deaths and now - child.deaths[0] > self.policy.death_window_seconds:
            child.deaths.popleft()
        if len(child.deaths) >= self.policy.max_deaths:
            if self.policy.max_deaths > 1:
                description += (
                    f"; it died {len(child.deaths)} times within {self.policy.death_window_seconds:.0f} s,"
                    " so it is not restarted again"
                )
            raise self._failed(child, description)
        if now - child.started_at >= self.policy.stable_after_seconds:
            child.next_delay = self.policy.first_delay_seconds
        delay = child.next_delay
        child.next_delay = min(delay * 2, self.policy.max_delay_seconds)
        child.state = RESTARTING
        child.restart_at = now + delay
        self.console.print(
            f"[bold yellow]{child.spec.name} {escape(description)}[/]; restart {child.restarts + 1} in "
            f"{delay:g} s (PRM gives up on a process that dies {self.policy.max_deaths} times within "
            f"{self.policy.death_window_seconds:.0f} s)",
            soft_wrap=True,
        )
        self._write_state()

    def _restart(self, child: Child) -> None:
        child.process = self._popen(child.spec)
        child.restarts += 1
        child.state = STARTING
        child.tail.clear()  # the last lines that matter are this life's
        child.started_at = child.progress_at = time.monotonic()
        child.started_on = datetime.now(UTC)
        child.restart_at = child.answered_at = None
        child.cpu_ticks = 0
        child.stall_reported = False
        self._read_in_background(child)
        self.console.print(
            f"[yellow]{child.spec.name} restarted[/] (restart {child.restarts}, pid {child.process.pid})"
        )
        self._write_state()

    def _failed(self, child: Child, reason: str) -> ChildFailed:
        child.state = FAILED
        self._state = FAILED
        self._write_state()
        return ChildFailed(child.spec.name, reason, child.tail)

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
        now = time.monotonic()
        out: list[str] = []
        for child, process, line in batch:
            if line is not None:
                if process is child.process:
                    child.tail.append(line)
                    child.progress_at = now
                out.append(f"{child.prefix}{line}\n")
        # One write per batch keeps up with chatty children, so their pipes never fill.
        self.console.file.write("".join(out))
        self.console.file.flush()

    # -- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM every child's group, wait up to the grace period, then SIGKILL what is left."""
        failed = self._state == FAILED
        self._state = "stopping"
        self._write_state()
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
            if child.state != FAILED:
                child.state = STOPPED
        self.print_logs(wait_seconds=0)
        self._state = FAILED if failed else STOPPED
        self._write_state()

    def _signal_groups(self, signum: int) -> None:
        for child in self.children:
            if child.process.poll() is None:
                _signal_group(child.process, signum)

    # -- state file ------------------------------------------------------------------------------

    def _write_state(self) -> None:
        """Replace the state file in one step, so a reader never sees half of it."""
        if self.state_file is None:
            return
        view = {
            "supervisor_pid": os.getpid(),
            "state": self._state,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "children": [child.view() for child in self.children],
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=self.state_file.parent, prefix=".supervisor-", suffix=".json"
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(view, file, indent=2)
                file.write("\n")
            os.chmod(temporary, 0o644)  # mkstemp makes it 0600: too private for a status reader
            os.replace(temporary, self.state_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)  # the child leads its own group (process_group=0)


def _stuck(child: Child, now: float, timeout_seconds: float, limit: float, bound: float) -> str | None:
    """Why a starting child counts as stuck, or None while it may still get ready."""
    if now > limit:
        return f"was not ready within {bound:.0f} s, the upper bound however busy it is"
    if child.answered_at is not None and now - child.answered_at > timeout_seconds:
        return f"was not ready within {timeout_seconds:.0f} s of first answering its readiness check"
    if now - child.progress_at > timeout_seconds:
        return f"was not ready within {timeout_seconds:.0f} s of its last progress (no log line, no CPU time)"
    return None


def _readiness(client: httpx.Client, url: str) -> int | None:
    """The status the readiness URL answers with, or None if nothing answers."""
    try:
        return client.get(url).status_code
    except httpx.HTTPError:
        return None


def _cpu_ticks(pid: int) -> int | None:
    """CPU time a process (and its reaped children) has used, in clock ticks; None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name before ")" may hold spaces
    try:
        return sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    except ValueError:
        return None


def _describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"

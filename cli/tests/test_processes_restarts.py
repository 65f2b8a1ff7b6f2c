"""The supervisor heals: restarts with backoff, gives up on a child that keeps dying, judges starts by
progress, and keeps its view in a state file. Tiny real child processes, tiny delays."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from prm_cli.processes import ChildFailed, ChildSpec, RestartPolicy, Supervisor
from rich.console import Console

pytestmark = pytest.mark.backend_independent

QUICK = RestartPolicy(
    first_delay_seconds=0.05,
    max_delay_seconds=0.2,
    stable_after_seconds=60,
    max_deaths=3,
    death_window_seconds=60,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def python_child(name: str, code: str, ready_url: str = "http://127.0.0.1:9/") -> ChildSpec:
    return ChildSpec(
        name=name,
        command=[sys.executable, "-u", "-c", textwrap.dedent(code)],
        environment=dict(os.environ),
        ready_url=ready_url,
    )


def web_child(name: str, port: int, before: str = "", status: int = 200) -> ChildSpec:
    """A child that runs the code `before`, then answers every GET with `status` (and logs each request)."""
    server = f"""
    import http.server as h
    class Answer(h.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response({status}); self.end_headers()
    h.ThreadingHTTPServer(('127.0.0.1', {port}), Answer).serve_forever()
    """
    return python_child(
        name, textwrap.dedent(before) + textwrap.dedent(server), ready_url=f"http://127.0.0.1:{port}/"
    )


@contextmanager
def stop_when(condition: Callable[[], bool], supervisor: Supervisor) -> Iterator[None]:
    """Send this process SIGTERM (a clean stop for the supervisor) once `condition` holds, within 60 s."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    supervisor.install_signal_handlers()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        watcher.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "supervisor.json"


@pytest.fixture
def supervisor(output: io.StringIO, state_file: Path) -> Iterator[Supervisor]:
    supervisor = Supervisor(
        Console(file=output, highlight=False, width=200), grace_seconds=5, policy=QUICK, state_file=state_file
    )
    yield supervisor
    supervisor.stop()


def children_in(state_file: Path) -> dict[str, dict[str, Any]]:
    return {child["name"]: child for child in json.loads(state_file.read_text())["children"]}


def test_a_child_that_always_dies_is_restarted_with_growing_delays_then_given_up(
    supervisor: Supervisor, output: io.StringIO, state_file: Path
) -> None:
    supervisor.spawn([python_child("crasher", "print('boom: no database'); raise SystemExit(3)")])

    with pytest.raises(ChildFailed) as failure:
        supervisor.run_until_stopped()

    assert failure.value.name == "crasher"
    assert "exited with code 3; it died 3 times within 60 s" in str(failure.value)
    assert failure.value.tail == ["boom: no database"]  # the last life's lines
    log = output.getvalue()
    assert "crasher exited with code 3; restart 1 in 0.05 s" in log
    assert "crasher exited with code 3; restart 2 in 0.1 s" in log  # doubled
    assert "restart 3" not in log
    crasher = children_in(state_file)["crasher"]
    assert crasher["state"] == "failed"
    assert crasher["restarts"] == 2
    assert crasher["last_exit"] == {
        "code": 3,
        "description": "exited with code 3",
        "at": crasher["last_exit"]["at"],
    }


def test_a_killed_child_is_restarted_while_the_others_keep_running(
    supervisor: Supervisor, output: io.StringIO, state_file: Path
) -> None:
    victim_port, other_port = free_port(), free_port()
    supervisor.spawn([web_child("victim", victim_port), web_child("other", other_port)])
    supervisor.wait_ready(timeout_seconds=30)
    victim, other = supervisor.children
    first_pid, other_pid = victim.process.pid, other.process.pid

    os.kill(first_pid, signal.SIGKILL)
    with stop_when(lambda: victim.ready and victim.restarts == 1, supervisor):
        supervisor.run_until_stopped()  # heals the victim, then our SIGTERM ends it

    assert victim.ready
    assert victim.process.pid != first_pid
    assert other.process.pid == other_pid
    assert other.process.poll() is None
    assert "victim was killed by SIGKILL; restart 1 in 0.05 s" in output.getvalue()
    assert "victim is ready again" in output.getvalue()
    state = children_in(state_file)["victim"]
    assert state["restarts"] == 1
    assert state["pid"] == victim.process.pid
    assert state["last_exit"]["description"] == "was killed by SIGKILL"


def test_a_child_that_dies_while_starting_heals_before_everything_is_ready(
    supervisor: Supervisor, tmp_path: Path, state_file: Path
) -> None:
    marker = tmp_path / "second-life"
    port = free_port()
    first_life_dies = f"""
    import pathlib, sys
    marker = pathlib.Path({str(marker)!r})
    if not marker.exists():
        marker.touch(); print('database not there yet'); sys.exit(1)
    """
    supervisor.spawn([web_child("flaky", port, before=first_life_dies)])

    supervisor.wait_ready(timeout_seconds=30)

    assert children_in(state_file)["flaky"] | {"pid": None, "started_at": None, "last_exit": None} == {
        "name": "flaky",
        "pid": None,
        "state": "ready",
        "restarts": 1,
        "started_at": None,
        "last_exit": None,
    }
    assert json.loads(state_file.read_text())["state"] == "running"


def test_the_state_file_says_stopped_after_a_clean_stop(output: io.StringIO, state_file: Path) -> None:
    supervisor = Supervisor(Console(file=output), grace_seconds=5, policy=QUICK, state_file=state_file)
    supervisor.spawn([python_child("sleeper", "import time; time.sleep(60)")])
    assert children_in(state_file)["sleeper"]["state"] == "starting"

    supervisor.stop()

    view = json.loads(state_file.read_text())
    assert view["state"] == "stopped"
    assert view["children"][0]["state"] == "stopped"
    assert view["children"][0]["pid"] is None
    assert oct(state_file.stat().st_mode & 0o777) == oct(0o644)
    assert [path.name for path in state_file.parent.iterdir()] == ["supervisor.json"]  # no temporary left


# -- starts are judged by progress --------------------------------------------------------------------


def test_a_child_that_keeps_printing_past_the_timeout_is_not_failed(supervisor: Supervisor) -> None:
    chatty = "import time\nfor step in range(8):\n    print('migrating', step); time.sleep(0.25)"
    supervisor.spawn([web_child("chatty", free_port(), before=chatty)])  # ~2 s of work, timeout 1 s

    supervisor.wait_ready(timeout_seconds=1)

    assert supervisor.children[0].ready


def test_a_child_that_keeps_using_cpu_past_the_timeout_is_not_failed(supervisor: Supervisor) -> None:
    busy = "import time\nend = time.monotonic() + 2\nwhile time.monotonic() < end:\n    pass"
    supervisor.spawn([web_child("busy", free_port(), before=busy)])  # ~2 s of silent work, timeout 1 s

    supervisor.wait_ready(timeout_seconds=1)

    assert supervisor.children[0].ready


def test_a_silent_idle_child_fails_after_the_timeout(supervisor: Supervisor) -> None:
    supervisor.spawn([python_child("sleeper", "print('hello'); import time; time.sleep(60)")])

    with pytest.raises(ChildFailed, match="sleeper was not ready within 1 s of its last progress") as failure:
        supervisor.wait_ready(timeout_seconds=1)

    assert failure.value.tail == ["hello"]


def test_a_child_that_answers_but_never_becomes_ready_fails_although_it_logs_each_check(
    supervisor: Supervisor,
) -> None:
    supervisor.spawn([web_child("waiting", free_port(), status=503)])  # http.server logs every request

    with pytest.raises(ChildFailed, match="waiting was not ready within 1 s of first answering"):
        supervisor.wait_ready(timeout_seconds=1)


def test_a_busy_child_fails_at_the_upper_bound(supervisor: Supervisor) -> None:
    supervisor.spawn(
        [python_child("endless", "import time\nwhile True:\n    print('still going'); time.sleep(0.1)")]
    )

    with pytest.raises(ChildFailed, match="endless was not ready within 2 s, the upper bound"):
        supervisor.wait_ready(timeout_seconds=1, limit_seconds=2)

"""The supervisor behind `prm up`, on tiny real child processes living once each (restarts: elsewhere)."""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import textwrap
from collections.abc import Iterator

import psutil
import pytest
from prm_cli.processes import NO_RESTARTS, ChildFailed, ChildSpec, Supervisor
from rich.console import Console

pytestmark = pytest.mark.backend_independent


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


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def supervisor(output: io.StringIO) -> Iterator[Supervisor]:
    supervisor = Supervisor(Console(file=output, highlight=False), grace_seconds=5, policy=NO_RESTARTS)
    yield supervisor
    supervisor.stop()


def test_ready_when_every_child_answers_200(supervisor: Supervisor, output: io.StringIO) -> None:
    port = free_port()
    server = python_child(
        "web",
        f"import http.server as h; h.ThreadingHTTPServer(('127.0.0.1', {port}), h.SimpleHTTPRequestHandler).serve_forever()",
        ready_url=f"http://127.0.0.1:{port}/",
    )
    talker = python_child(
        "talker",
        "import time; print('hello from talker'); time.sleep(60)",
        ready_url=f"http://127.0.0.1:{port}/",
    )

    supervisor.spawn([server, talker])
    supervisor.wait_ready(timeout_seconds=30)
    supervisor.print_logs(wait_seconds=1)

    assert all(child.ready for child in supervisor.children)
    assert "talker | hello from talker" in output.getvalue()


def test_a_child_that_exits_while_starting_is_reported_with_its_last_lines(supervisor: Supervisor) -> None:
    crasher = python_child("crasher", "print('loading'); print('boom: no database'); raise SystemExit(3)")

    supervisor.spawn([crasher])

    with pytest.raises(ChildFailed) as failure:
        supervisor.wait_ready(timeout_seconds=30)

    assert failure.value.name == "crasher"
    assert "exited with code 3" in str(failure.value)
    assert failure.value.tail[-2:] == ["loading", "boom: no database"]


def test_a_child_that_never_gets_ready_times_out(supervisor: Supervisor) -> None:
    sleeper = python_child("sleeper", "import time; time.sleep(60)")
    supervisor.spawn([sleeper])

    with pytest.raises(ChildFailed, match="sleeper was not ready within 1 s"):
        supervisor.wait_ready(timeout_seconds=1)


def test_each_child_leads_its_own_process_group(supervisor: Supervisor) -> None:
    supervisor.spawn([python_child("sleeper", "import time; time.sleep(60)")])

    pid = supervisor.children[0].process.pid
    assert os.getpgid(pid) == pid != os.getpgid(0)


def test_stop_terminates_children_and_kills_those_that_ignore_sigterm(output: io.StringIO) -> None:
    supervisor = Supervisor(Console(file=output, highlight=False), grace_seconds=1)
    polite = python_child("polite", "import time; time.sleep(60)")
    stubborn = python_child(
        "stubborn",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ignoring', flush=True); time.sleep(60)",
    )
    supervisor.spawn([polite, stubborn])
    supervisor.print_logs(wait_seconds=10)  # the stubborn one has set its handler once it prints
    pids = [child.process.pid for child in supervisor.children]

    supervisor.stop()

    codes = {child.spec.name: child.process.returncode for child in supervisor.children}
    assert codes == {"polite": -signal.SIGTERM, "stubborn": -signal.SIGKILL}
    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert "stubborn did not stop in time" in output.getvalue()


def test_a_signal_stops_the_run_and_a_dying_child_ends_it(supervisor: Supervisor) -> None:
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.install_signal_handlers()
        supervisor.spawn([python_child("sleeper", "import time; time.sleep(60)")])
        os.kill(os.getpid(), signal.SIGTERM)

        supervisor.run_until_stopped()  # returns: the signal asked for a stop

        assert supervisor.stop_requested
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_child_dying_while_running_raises(supervisor: Supervisor) -> None:
    supervisor.spawn([python_child("short", "import time; time.sleep(0.5); print('bye')")])

    with pytest.raises(ChildFailed, match="short exited with code 0") as failure:
        supervisor.run_until_stopped()

    assert failure.value.tail == ["bye"]

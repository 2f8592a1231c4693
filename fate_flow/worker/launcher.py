"""Starting, watching and killing task workers.

Every task runs in its own process, in its own session (so its process group can be killed whole), with
stdout/stderr going to the task's std.log. Two ways to start one:

* `spawn`: `python -m fate_flow.worker.task_executor --spec <task_spec.json>`, a fresh interpreter;
* `fork_server` (default): a warm interpreter (fate_flow.worker.fork_server) with the heavy modules already
  imported forks a child per task, which saves the ~0.5 s an interpreter spends importing numpy, grpc, lmdb.

A worker is identified by pid + process start time, so a pid reused by another process is never mistaken
for the worker (and never killed). What a worker starts (crypto pools, multiprocessing's helpers, Spark's JVM)
is in its process group: a stop kills the group, and when a worker died alone (kill -9) `kill` still ends
what is left of its group. Every process a launcher starts carries WORKER_ENV (the server's FATE_FLOW_HOME)
in its environment, so `bin/service.sh stop` finds what a server killed with SIGKILL left behind.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from fate_flow.entity.worker_secret import WORKER_SECRET_ENV

LOG = logging.getLogger(__name__)

# where a task's computing tables live below the storage root: one directory per task run (session)
SESSIONS_DIR = "sessions"


def session_id(task_id: str, task_version: int, role: str, party_id: str) -> str:
    return f"{task_id}_{task_version}_{role}_{party_id}"


# set in the environment of every worker (and so of all it starts) to the FATE_FLOW_HOME of its server
WORKER_ENV = "FATE_FLOW_WORKER_OF"

# two start times of one process agree to within psutil's clock-tick resolution
_START_TIME_TOLERANCE = 0.05


@dataclass(frozen=True)
class WorkerHandle:
    pid: int
    start_time: float


def executor_argv(spec_path: Path) -> list[str]:
    return [sys.executable, "-m", "fate_flow.worker.task_executor", "--spec", str(spec_path)]


def process_start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def is_alive(pid: int | None, start_time: float | None) -> bool:
    """Whether the worker (this pid, started at this time) still runs; a zombie counts as dead."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if start_time is not None and abs(proc.create_time() - start_time) > _START_TIME_TOLERANCE:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by signal {-code} ({name})"
    return f"exit code {code}"


class WorkerLauncher:
    def __init__(self, start_method: str = "fork_server", kill_grace: float = 3.0, home: Path | None = None):
        self.start_method = start_method
        self.kill_grace = kill_grace
        self.home = home
        self._children: dict[int, subprocess.Popen] = {}
        self._exit_codes: dict[int, int] = {}
        self._lock = threading.Lock()
        self._fork_server: _ForkServerClient | None = None

    # ------------------------------------------------------------------ start
    def launch(self, spec_path: Path, std_log: Path, cwd: Path, secret: str = "") -> WorkerHandle:
        """Start the worker of `spec_path`; `secret` (its proof on /v1/worker/*) reaches it through the fork
        server's pipe or its environment, never its argv."""
        std_log.parent.mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        if self.start_method == "fork_server":
            try:
                pid = self._server().fork(spec_path, std_log, cwd, secret)
            except (OSError, ValueError, RuntimeError) as e:
                LOG.warning("fork server failed (%s); starting the worker with a fresh interpreter", e)
                self._stop_fork_server()
                pid = self._spawn(spec_path, std_log, cwd, secret)
        else:
            pid = self._spawn(spec_path, std_log, cwd, secret)
        start_time = process_start_time(pid)
        if start_time is None:  # it already ended: its start time no longer matters
            start_time = time.time()
        return WorkerHandle(pid, start_time)

    def _spawn(self, spec_path: Path, std_log: Path, cwd: Path, secret: str) -> int:
        env = _worker_env(self.home)
        if secret:
            env[WORKER_SECRET_ENV] = secret
        with open(std_log, "ab") as log:
            proc = subprocess.Popen(executor_argv(spec_path), cwd=str(cwd), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        with self._lock:
            self._children[proc.pid] = proc
        return proc.pid

    def _server(self) -> "_ForkServerClient":
        with self._lock:
            if self._fork_server is None or not self._fork_server.alive():
                self._fork_server = _ForkServerClient.start(self.home)
            return self._fork_server

    def _stop_fork_server(self) -> None:
        with self._lock:
            server, self._fork_server = self._fork_server, None
        if server is not None:
            server.close()

    # ------------------------------------------------------------------ watch
    def exit_code(self, pid: int) -> int | None:
        """How a worker this launcher started ended (reaping it), or None (still running, or not ours)."""
        with self._lock:
            if pid in self._exit_codes:
                return self._exit_codes[pid]
            proc = self._children.get(pid)
            server = self._fork_server
        if proc is not None:
            code = proc.poll()
            if code is not None:
                with self._lock:
                    self._children.pop(pid, None)
                    self._exit_codes[pid] = code
            return code
        if server is not None:
            code = server.exit_code(pid)
            if code is not None:
                with self._lock:
                    self._exit_codes[pid] = code
            return code
        return None

    def reap(self) -> None:
        """Collect ended children so none stays a zombie."""
        with self._lock:
            pids = list(self._children)
        for pid in pids:
            self.exit_code(pid)

    # ------------------------------------------------------------------ stop
    def kill(self, pid: int | None, start_time: float | None, grace: float | None = None) -> bool:
        """SIGTERM the worker's process group, SIGKILL what is left after `grace` seconds. False when the
        worker was not running (or the pid now belongs to another process); what it left in its process group
        (it died alone) is killed then too."""
        if not is_alive(pid, start_time):
            self.exit_code(pid or 0)
            self.sweep(pid)
            return False
        grace = self.kill_grace if grace is None else grace
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            return False
        members = _group_members(pgid)
        _signal_group(pgid, signal.SIGTERM)
        if _wait_gone(members, grace):
            _signal_group(pgid, signal.SIGKILL)
            _wait_gone(members, 5)
        self.exit_code(pid)
        return True

    def kill_all(self, workers: list[tuple[int, float | None]], grace: float | None = None) -> list[int]:
        """`kill` for many workers at once (SIGTERM to every group, one wait, SIGKILL to what is left), as
        when the server shuts down; returns the pids that were running."""
        grace = self.kill_grace if grace is None else grace
        groups, members = [], []
        for pid, start_time in workers:
            if not is_alive(pid, start_time):
                self.sweep(pid)
                continue
            try:
                groups.append((pid, os.getpgid(pid)))
            except ProcessLookupError:
                continue
            members += _group_members(groups[-1][1])
        for _, pgid in groups:
            _signal_group(pgid, signal.SIGTERM)
        if _wait_gone(members, grace):
            for _, pgid in groups:
                _signal_group(pgid, signal.SIGKILL)
            _wait_gone(members, 5)
        for pid, _ in groups:
            self.exit_code(pid)
        return [pid for pid, _ in groups]

    def sweep(self, pid: int | None) -> list[int]:
        """SIGKILL what is left in the process group of a worker that is gone (its children, orphaned by a
        kill -9 of the worker alone); returns their pids. The group id cannot name another group while any of
        its members lives, and a pid that is alive again (reused) is left alone."""
        if not pid or _running_pid(pid):
            return []
        members = [p for p in _group_members(pid) if p.pid != pid and _running(p)]
        if members:
            LOG.warning("worker %s is gone; killing what it left running: %s", pid,
                        ", ".join(str(p.pid) for p in members))
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(members, 5)
        return [p.pid for p in members]

    def close(self) -> None:
        self._stop_fork_server()
        self.reap()


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited (a zombie counts as exited: its parent may be another process,
    e.g. the fork server, that reaps it later); returns those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive:
        alive = [p for p in alive if _running(p)]
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    return alive


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _running_pid(pid: int) -> bool:
    try:
        return _running(psutil.Process(pid))
    except psutil.Error:
        return False


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _worker_env(home: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(WORKER_SECRET_ENV, None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if home is not None:
        env[WORKER_ENV] = str(home)
    return env


class _ForkServerClient:
    """The server side of the pipe to fate_flow.worker.fork_server (one JSON line per request/answer)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self._lock = threading.Lock()

    @classmethod
    def start(cls, home: Path | None, timeout: float = 30.0) -> "_ForkServerClient":
        proc = subprocess.Popen([sys.executable, "-m", "fate_flow.worker.fork_server"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=None, env=_worker_env(home), start_new_session=True)
        client = cls(proc)
        ready = client._read(timeout)
        if ready.get("ready") is not True:
            client.close()
            raise RuntimeError(f"fork server did not start: {ready}")
        return client

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self, timeout: float) -> dict:
        import selectors
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise RuntimeError(f"fork server gave no answer within {timeout}s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fork server exited")
        return json.loads(line)

    def _ask(self, request: dict, timeout: float = 30.0) -> dict:
        with self._lock:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
            return self._read(timeout)

    def fork(self, spec_path: Path, std_log: Path, cwd: Path, secret: str = "") -> int:
        answer = self._ask({"op": "fork", "spec": str(spec_path), "log": str(std_log), "cwd": str(cwd),
                            "secret": secret})
        if "pid" not in answer:
            raise RuntimeError(f"fork server could not start the worker: {answer.get('error')}")
        return int(answer["pid"])

    def exit_code(self, pid: int) -> int | None:
        if not self.alive():
            return None
        try:
            answer = self._ask({"op": "exit_code", "pid": pid}, timeout=10)
        except (OSError, RuntimeError, ValueError):
            return None
        return answer.get("code")

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()

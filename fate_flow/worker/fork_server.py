"""A warm interpreter that forks task workers: `python -m fate_flow.worker.fork_server`, driven by its parent
(fate_flow.worker.launcher) over stdin/stdout, one JSON line per request and answer:

    {"op": "fork", "spec": path, "log": std.log path, "cwd": dir, "secret": s}   -> {"pid": n}
    {"op": "exit_code", "pid": n}                                   -> {"code": n | null}

Each worker is a child forked after the heavy imports are done, in its own session, running the task
executor; it still is its own process. The server exits when its parent closes the pipe (or dies), leaving
running workers alone (they are found again by pid + start time).
"""
from __future__ import annotations

import json
import os
import signal
import sys


def _preload() -> None:
    """Import what every worker needs, once. No thread, channel or connection may be opened here."""
    # the point of the fork server: the worker stack (components, computing, federation, client) is imported
    # here, once, before any fork, and not when the launcher's process imports this module
    import fate_flow.worker.task_executor  # noqa: F401
    for name in ("numpy", "pandas", "sklearn"):
        try:
            __import__(name)
        except ImportError:
            pass


def _reap(codes: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        codes[pid] = os.waitstatus_to_exitcode(status)


def _child(request: dict) -> None:
    """In the forked child: detach, point stdio at the task's log, run the executor, never return."""
    code = 1
    try:
        os.setsid()
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.close(null)
        os.chdir(request["cwd"])
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        from fate_flow.worker.task_executor import main  # in the forked child: preloaded, so this costs nothing
        code = main(["--spec", request["spec"]], worker_secret=request.get("secret") or None)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(stdin=None, stdout=None) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    _preload()
    codes: dict[int, int] = {}

    def answer(obj: dict) -> None:
        stdout.write((json.dumps(obj) + "\n").encode())
        stdout.flush()

    # reap workers as soon as they end, so none lingers as a zombie that looks alive to others
    signal.signal(signal.SIGCHLD, lambda *_: _reap(codes))
    answer({"ready": True, "pid": os.getpid()})
    for line in stdin:
        _reap(codes)
        try:
            request = json.loads(line)
            if request.get("op") == "fork":
                pid = os.fork()
                if pid == 0:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _child(request)
                answer({"pid": pid})
            elif request.get("op") == "exit_code":
                answer({"code": codes.pop(int(request["pid"]), None)})
            else:
                answer({"error": f"unknown op {request.get('op')!r}"})
        except Exception as e:  # an answer is always written, so the parent never waits for nothing
            answer({"error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(serve())

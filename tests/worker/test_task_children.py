"""A task reports success only once what it started is gone: children still running after the wait are
killed (Spark's JVM, pool workers); multiprocessing's resource tracker is left to end with the task."""
import subprocess
import sys

CODE = """
import logging, subprocess, sys, time
from multiprocessing import resource_tracker
from fate_flow.worker.task_executor import end_children
resource_tracker.ensure_running()
quick = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
killed = end_children(logging.getLogger("t"), timeout=2)
import psutil
running = [p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
print(stuck.pid, resource_tracker._resource_tracker._pid, killed, running, flush=True)
"""


def test_children_left_at_the_end_of_a_task_are_killed_but_not_the_resource_tracker():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    stuck, tracker, killed, running = out.stdout.split(maxsplit=3)
    assert killed == f"[{stuck}]"
    assert running.strip() == f"[{tracker}]", "only the resource tracker is left"

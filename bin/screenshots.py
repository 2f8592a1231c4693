"""PNG screenshots of each page of the board, taken by headless Chromium from a real server that ran the flagship
job twice (for the comparison) and holds a running and a waiting job (for the overview and the live job page).

    .venv/bin/python bin/screenshots.py [directory]      # default docs/screenshots; bin/screenshots.sh installs what it needs
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import browser  # noqa: E402
from tests.integration.test_example_jobs import cli, wait_for  # noqa: E402
from tests.server_process import make_server  # noqa: E402

EXAMPLES = ROOT / "examples"
WIDTH = 1440


def submit(server, directory: Path, name: str, **lr) -> str:
    conf = json.loads((EXAMPLES / "test_hetero_lr_job_conf.json").read_text())
    conf["component_parameters"]["common"]["hetero_lr_0"].update(lr)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(conf))
    rc, answer = cli(server, "-f", "submit_job", "-c", str(path), "-d", str(EXAMPLES / "test_hetero_lr_job_dsl.json"))
    if rc != 0 or answer["retcode"] != 0:
        raise RuntimeError(f"submit failed: {answer}")
    return answer["jobId"]


def shoot(driver, server, fragment: str, path: Path, ready: str, height: int = 1000, click: str | None = None,
          full: bool = False) -> None:
    """Open #/<fragment>, wait for the JS condition `ready`, optionally click, and save the window as PNG."""
    driver.set_window_size(WIDTH, height)
    driver.get(f"{server.base_url}/index.html#/{fragment}")
    browser.wait_until(lambda: driver.execute_script(f"return !!({ready})"), timeout=60, what=str(path.name))
    if click:
        driver.execute_script(f"document.querySelector({json.dumps(click)}).click()")
        time.sleep(1.5)
    time.sleep(1.0)  # chart animations
    if full:
        total = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(WIDTH, min(total, 2400))
        time.sleep(0.8)
    driver.save_screenshot(str(path))
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main() -> int:
    out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    reason = browser.missing()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="fate_flow_screens_") as tmp:
        tmp = Path(tmp)
        # party 10000 (host and arbiter, 16 cores of a flagship job) runs one flagship job at a time: the next waits
        server = make_server(tmp, party_ids=(9999, 10000)).start()
        try:
            print("screenshots: running the flagship job twice (learning rate 0.15 and 0.05)")
            for conf in ("upload_guest.json", "upload_host.json"):
                cli(server, "-f", "upload", "-c", f"examples/{conf}", "-drop", "1")
            first = submit(server, tmp, "first")
            wait_for(server, first, timeout=600)
            second = submit(server, tmp, "second", learning_rate=0.05)
            wait_for(server, second, timeout=600)
            server.post("/v1/job/update", json={"job_id": first, "role": "guest", "party_id": 9999,
                                                "notes": "flagship, learning rate 0.15"})
            server.post("/v1/job/update", json={"job_id": second, "role": "guest", "party_id": 9999,
                                                "notes": "learning rate 0.05"})
            running = submit(server, tmp, "running", max_iter=300, tol=0)  # tol 0: runs all its iterations
            waiting = submit(server, tmp, "waiting", max_iter=300, tol=0)
            wait_for(server, running, statuses=("running",), timeout=120)
            guest = "role=guest&party_id=9999"
            with browser.chromium(WIDTH, 1000) as driver:
                shoot(driver, server, "jobs", out / "01-jobs.png",
                      "document.querySelector('#job-table')?.dataset.total", height=900)
                shoot(driver, server, "overview", out / "02-overview.png",
                      "document.querySelector('#queue table') && document.querySelector('#parties table')", height=760)
                browser.wait_until(lambda: any(  # the running job's LR gets a few iterations on
                    t["f_component_name"] == "hetero_lr_0" and t["f_status"] == "running" for t in server.post(
                        "/v1/job/task/query", json={"job_id": running}).json().get("data") or []),
                    timeout=300, interval=0.5, what="the running job's LR")
                time.sleep(8)
                shoot(driver, server, f"details?job_id={running}&role=arbiter&party_id=10000&component_name=hetero_lr_0",
                      out / "03-job-running.png", "document.querySelector('#component-body')?.dataset.tab === 'model'",
                      height=1240, click="#component .tabs [data-tab=metrics]")
                shoot(driver, server, f"details?job_id={first}&{guest}&component_name=evaluation_0",
                      out / "04-evaluation.png", "document.querySelector('[data-metric-type=ROC_EVALUATION][data-points]')",
                      height=1500)
                shoot(driver, server, f"details?job_id={first}&{guest}&component_name=hetero_feature_binning_0",
                      out / "05-binning.png", "document.querySelector('#bin-detail table')", height=1500)
                shoot(driver, server, f"details?job_id={first}&role=arbiter&party_id=10000&component_name=hetero_lr_0",
                      out / "06-loss.png", "document.querySelector('#component-body')?.dataset.tab === 'model'",
                      height=1000, click="#component .tabs [data-tab=metrics]")
                shoot(driver, server, f"details?job_id={first}&{guest}&component_name=hetero_lr_0",
                      out / "07-log.png", "document.querySelector('#component-body')?.dataset.tab",
                      height=1000, click="#component .tabs [data-tab=log]")
                shoot(driver, server, f"compare?jobs={first}:guest:9999,{second}:guest:9999", out / "08-compare.png",
                      "document.querySelector('#compare-charts [data-points]')", height=720)
                shoot(driver, server, "login", out / "09-login.png", "document.querySelector('#app-key')", height=600)
            for job in (running, waiting):
                server.post("/v1/job/stop", json={"job_id": job})
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The dashboard in a real browser (issue 12): Debian's chromium driven by Playwright against the
server `make viz` starts, offline. Opens the page, switches an option, steps several times,
resets with a new seed, and checks that the plot, the network and the agenda changed and that
no traceback is on the page; a bad seed shows the model's message; compare mode draws both
runs; the classroom game starts and takes a decision. Measures the time from pressing Step to
the updated page with the full roster (month, agenda, map and plot all showing the next month,
the pictures decoded) over 20 steps, and writes the median and max, the 100 ms target and
whether it was met, and the machine's load to latency.json.

Run with `make test-viz` (marker `viz`, in .venv-viz; CI installs chromium with apt-get).
Screenshots go to the test's tmp folder, and also to $EUROSEC_SCREENSHOTS if set.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.viz
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"eurosec_dashboard_{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "sim.dashboard", "--port", str(port)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard server stopped: see {log.name}")
    else:
        proc.terminate()
        raise RuntimeError("the dashboard did not start within 180 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed (apt-get install chromium); .ci/run installs it")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


# Press Step in the page and wait, inside the browser, until the page shows the next month
# everywhere: the month label and the agenda say the new month (their data-month), the map and the
# plot have new pictures, and both pictures are decoded; then one more animation frame (the first
# frame that can paint them). Returns milliseconds from the click: {"dom": every view replaced,
# "painted": decoded and the next frame reached}. A MutationObserver on the whole page watches.
STEP_AND_WAIT = """async () => {
  const q = (s) => document.querySelector(s);
  const month = (s) => { const e = q(s + ' [data-month]'); return e ? Number(e.dataset.month) : NaN; };
  const m0 = month('.eurosec-month');
  const net0 = q('.eurosec-network').src, traj0 = q('.eurosec-trajectory').src;
  const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Step');
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const done = () => month('.eurosec-month') === m0 + 1 && month('.eurosec-agenda') === m0 + 1
                       && q('.eurosec-network').src !== net0 && q('.eurosec-trajectory').src !== traj0;
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    setTimeout(() => { obs.disconnect(); reject(new Error('no update within 20 s')); }, 20000);
    button.click();
  });
  const dom = performance.now() - t0;
  await Promise.all([q('.eurosec-network').decode(), q('.eurosec-trajectory').decode()]);
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return {dom: dom, painted: performance.now() - t0};
}"""
TARGET_MS = 100  # issue 12's quality target, step to the updated page with the full roster


def _text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def _no_traceback(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error in " not in body, body[:2000]


def _shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    target = os.environ.get("EUROSEC_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / f"{name}.png", Path(target) / f"{name}.png")


def test_dashboard_in_the_browser(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server)
    page.wait_for_selector(".eurosec-month", timeout=120_000)
    page.wait_for_selector(".eurosec-network", timeout=60_000)
    assert _text(page, ".eurosec-month").startswith("Month 0 of")
    _no_traceback(page)
    net0 = page.locator(".eurosec-network").get_attribute("src")
    traj0 = page.locator(".eurosec-trajectory").get_attribute("src")
    agenda0 = _text(page, ".eurosec-agenda")

    # switch an option off (the NATO-Russia Council), then reset: it is gone from the run
    page.get_by_text("3. Reactivate the NATO-Russia Council").click()
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("() => !document.body.innerText.includes('seed 0: corfu, strategic_concept, nrc')")
    assert ", nrc," not in page.inner_text("body").split("Month")[1][:400]

    # step several times, timing each press of Step until the page shows the new month
    timings = [page.evaluate(STEP_AND_WAIT) for _ in range(12)]
    load = [os.getloadavg()]
    assert _text(page, ".eurosec-month").startswith("Month 12 of")
    _no_traceback(page)
    _shot(page, tmp_path, "dashboard_stepped")

    # Play advances the month, the map and the agenda from its own thread; Pause stops it
    net12 = page.locator(".eurosec-network").get_attribute("src")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => Number(document.querySelector('.eurosec-agenda [data-month]').dataset.month) >= 14",
                           timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    # the page re-renders on Pause (the button turns back to Play); the play thread's last renders
    # may still arrive while the seed is typed below (they must not put the old seed back)
    page.get_by_role("button", name="Play").wait_for(timeout=30_000)
    assert page.locator(".eurosec-network").get_attribute("src") != net12
    assert int(_text(page, ".eurosec-month").split()[1]) >= 14
    _no_traceback(page)

    # reset with a new seed (typed at once: no render of the page puts the old one back)
    seed = page.get_by_role("textbox", name="Seed", exact=True)
    seed.fill("12345")
    seed.press("Enter")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("() => document.querySelector('.eurosec-month').textContent.startsWith('Month 0 of')"
                           " && document.body.innerText.includes('seed 12345')", timeout=30_000)
    timings += [page.evaluate(STEP_AND_WAIT) for _ in range(8)]
    load.append(os.getloadavg())
    assert page.locator(".eurosec-network").get_attribute("src") != net0
    assert page.locator(".eurosec-trajectory").get_attribute("src") != traj0
    assert _text(page, ".eurosec-agenda") != agenda0
    _no_traceback(page)
    _shot(page, tmp_path, "dashboard_new_seed")

    # a bad value is a message on the page, not a traceback
    seed.fill("not a seed")
    seed.press("Enter")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_selector(".eurosec-error", timeout=30_000)
    assert "Invalid configuration at 'rng'" in _text(page, ".eurosec-error")
    _no_traceback(page)
    _shot(page, tmp_path, "dashboard_bad_seed")

    # compare mode: the same seed with and without one option, side by side (a valid seed again first:
    # the game starts from the settings on the left)
    seed.fill("12345")
    seed.press("Enter")
    page.get_by_role("tab", name="Compare").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('.eurosec-compare').length === 2", timeout=120_000)
    body = page.inner_text("body")
    assert "with '" in body and "without '" in body and "agreements" in body
    _no_traceback(page)
    _shot(page, tmp_path, "dashboard_compare")

    # the classroom game: play Russia, answer or move on once
    page.get_by_role("tab", name="Classroom game").click()
    page.get_by_role("button", name="Start the game").click()
    page.wait_for_selector(".eurosec-game", timeout=60_000)
    month_before = _text(page, ".eurosec-game")
    buttons = [n for n in ("Accept", "Reject", "Propose", "Wait", "Next month")
               if page.get_by_role("button", name=n, exact=True).count()]
    assert buttons, page.inner_text("body")[:2000]
    page.get_by_role("button", name=buttons[0], exact=True).click()
    page.wait_for_function("(m) => document.querySelector('.eurosec-game').textContent !== m", arg=month_before,
                           timeout=60_000)
    _no_traceback(page)
    _shot(page, tmp_path, "dashboard_game")

    latencies = [t["painted"] for t in timings]
    median, worst = statistics.median(latencies), max(latencies)
    dom = [t["dom"] for t in timings]
    report = {
        "step_to_update_ms": {"median": round(median, 1), "max": round(worst, 1), "all": [round(x, 1) for x in latencies]},
        "step_to_dom_ms": {"median": round(statistics.median(dom), 1), "max": round(max(dom), 1)},
        "measured": "from the click on Step until the month label and the agenda show the next month, the map "
                    "and the plot have new pictures, both decoded, and the next animation frame is reached",
        "steps": len(latencies), "actors": 23, "target_ms": TARGET_MS,
        "target_met_median": median < TARGET_MS, "target_met_max": worst < TARGET_MS,
        "load_average_1_5_15": [[round(x, 2) for x in reading] for reading in load],  # after each series
        "cpus": os.cpu_count()}
    (tmp_path / "latency.json").write_text(json.dumps(report, indent=1))
    target = os.environ.get("EUROSEC_SCREENSHOTS")
    if target:
        shutil.copy(tmp_path / "latency.json", Path(target) / "latency.json")
    verdict = "met" if median < TARGET_MS else "NOT met"
    print(f"\nstep-to-update latency (full roster, {len(latencies)} steps): median {median:.0f} ms, max {worst:.0f} ms; "
          f"target {TARGET_MS} ms (median) {verdict}{'' if worst < TARGET_MS else ', max above it'}; "
          f"1-min load average {' and '.join(f'{r[0]:.2f}' for r in load)} on {os.cpu_count()} cpus")
    assert median < 1000, report  # not a timed test: this bound only catches a broken page

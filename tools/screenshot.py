"""Take docs/dashboard.png: the L&D dashboard on the bundled demo data, as headless Chromium shows it.

`make screenshot` runs this. Everything happens in a temporary LEERPAD_HOME (SQLite): load the demo,
make an ld key, serve the app on a free local port, log in through the login form and save a
full-page PNG. Needs Debian's chromium and chromium-driver; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"leerpad serve exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    sys.exit(f"leerpad serve did not answer on {base} within {seconds:.0f}s")


def chromium_options(width: int, height: int, profile: Path) -> webdriver.ChromeOptions:
    """Headless Debian Chromium that talks to nothing but localhost (the browser tests use it too)."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never try to download a browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return options


def browser(width: int, height: int, profile: Path) -> WebDriver:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.is_file():
            sys.exit(f"{path} is missing; install it with: apt-get install chromium chromium-driver")
    options = chromium_options(width, height, profile)
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


def screenshot(base: str, key: str, output: Path, width: int, height: int, profile: Path) -> None:
    driver = browser(width, height, profile)
    try:
        driver.get(f"{base}/dashboard/login")
        driver.find_element(By.ID, "key").send_keys(key)
        driver.find_element(By.ID, "login-submit").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "heatmap"))
        full = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.set_window_size(width, max(height, full))
        output.parent.mkdir(parents=True, exist_ok=True)
        if not driver.save_screenshot(str(output)):
            sys.exit(f"could not write {output}")
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--tenant", default="demo")
    parser.add_argument(
        "--leerpad", default=str(Path(sys.executable).parent / "leerpad"), help="the CLI to use"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="leerpad-screenshot-") as temporary:
        home = Path(temporary)
        env = {
            **os.environ,
            "LEERPAD_HOME": str(home / "home"),
            "LEERPAD_RUN_JOBS_IN_API": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        env.pop("LEERPAD_DATABASE_URL", None)
        run([args.leerpad, "db", "upgrade"], env)
        print(run([args.leerpad, "demo", "--tenant", args.tenant], env), end="")
        created = run(
            [
                args.leerpad,
                "keys",
                "create",
                "--tenant",
                args.tenant,
                "--role",
                "ld",
                "--label",
                "screenshot",
            ],
            env,
        )
        key = created.strip().splitlines()[-1].strip()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = home / "serve.log"
        with open(log, "wb") as output:
            server = subprocess.Popen(
                [args.leerpad, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_up(base, server, log)
            screenshot(base, key, args.output, args.width, args.height, home / "chromium-profile")
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"dashboard screenshot written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

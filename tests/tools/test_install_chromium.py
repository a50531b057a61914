"""tools/install-chromium, which `make test` runs before the browser tests: it installs Debian's
chromium and chromium-driver when either binary is missing, with sudo when not root, and does
nothing once both are there. Run with stand-ins on PATH for `id`, `sudo` and `apt-get` that write
down how they were called (nothing is installed), and with the two binaries it checks moved into
the test's folder, where the test decides whether they exist."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.screenshot import CHROMEDRIVER, CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "install-chromium"
BASH = shutil.which("bash") or "/bin/bash"
CHMOD = shutil.which("chmod") or "/bin/chmod"
FRONTEND = "DEBIAN_FRONTEND=noninteractive"
INSTALL = "install -y -q chromium chromium-driver"
UPDATE = "update -q"

# Each stand-in appends one line to $CALLS. `sudo` runs the rest of its line with an environment as
# bare as sudo's env_reset leaves it; `apt-get` fails its first $APT_INSTALL_FAILS installs (and
# every update when $APT_UPDATE_FAILS is set), and a successful install makes both binaries.
STAND_INS = {
    "id": 'echo "id $*" >> "$CALLS"\n[ "$1" = -u ] && echo "$FAKE_UID"\n',
    "sudo": 'echo "sudo $*" >> "$CALLS"\nexec env -i PATH="$PATH" CALLS="$CALLS" STATE="$STATE" '
    'APT_INSTALL_FAILS="$APT_INSTALL_FAILS" APT_UPDATE_FAILS="$APT_UPDATE_FAILS" "$@"\n',
    "apt-get": (
        'echo "apt-get DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-} $*" >> "$CALLS"\n'
        'if [ "$1" = update ]; then [ -z "$APT_UPDATE_FAILS" ]; exit; fi\n'
        'tried=0; [ -f "$STATE/installs" ] && tried=$(< "$STATE/installs")\n'
        'tried=$((tried + 1)); echo "$tried" > "$STATE/installs"\n'
        '[ "$tried" -le "${APT_INSTALL_FAILS:-0}" ] && exit 100\n'
        'for binary in chromium chromedriver; do echo "#!/bin/sh" > "$STATE/$binary"; '
        f'{CHMOD} +x "$STATE/$binary"; done\n'
    ),
}


def apt(args: str) -> str:
    """What the apt-get stand-in writes down: the frontend it was given, and its arguments."""
    return f"apt-get {FRONTEND} {args}"


def sudo_apt(args: str) -> str:
    """What the sudo stand-in writes down when the script runs apt-get through it."""
    return f"sudo env {FRONTEND} apt-get {args}"


@dataclass(frozen=True)
class Machine:
    """A folder standing in for the machine: the script's copy, the stand-ins, the two binaries."""

    folder: Path

    @property
    def chromium(self) -> Path:
        return self.folder / "chromium"

    @property
    def chromedriver(self) -> Path:
        return self.folder / "chromedriver"

    def put_binary(self, path: Path) -> None:
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)

    def calls(self) -> list[str]:
        log = self.folder / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def run(
        self, uid: int = 0, sudo: bool = True, install_fails: int = 0, update_fails: bool = False
    ) -> subprocess.CompletedProcess[str]:
        bin_dir = self.folder / ("bin" if sudo else "bin-without-sudo")
        if not bin_dir.exists():
            bin_dir.mkdir()
            # Only these on PATH: the real apt-get and sudo can never be reached.
            for tool in ("bash", "env"):
                (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
            for name, body in STAND_INS.items():
                if name == "sudo" and not sudo:
                    continue
                stand_in = bin_dir / name
                stand_in.write_text(f"#!{BASH}\n{body}")
                stand_in.chmod(stand_in.stat().st_mode | stat.S_IXUSR)
        env = {
            "PATH": str(bin_dir),
            "CALLS": str(self.folder / "calls.log"),
            "STATE": str(self.folder),
            "FAKE_UID": str(uid),
            "APT_INSTALL_FAILS": str(install_fails),
            "APT_UPDATE_FAILS": "1" if update_fails else "",
        }
        return subprocess.run(
            [str(self.folder / "install-chromium")], env=env, capture_output=True, text=True, timeout=60
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """The script as it is, but checking for the two binaries in tmp_path instead of /usr/bin."""
    text = SCRIPT.read_text(encoding="utf-8")
    # The script checks the very binaries the browser tests start (tools/screenshot.py).
    assert f"[ -x {CHROMIUM} ]" in text and f"[ -x {CHROMEDRIVER} ]" in text
    copy = tmp_path / "install-chromium"
    copy.write_text(
        text.replace(str(CHROMIUM), str(tmp_path / "chromium")).replace(
            str(CHROMEDRIVER), str(tmp_path / "chromedriver")
        )
    )
    copy.chmod(0o755)
    return Machine(tmp_path)


def test_the_script_is_executable_and_make_test_runs_it_before_the_tests() -> None:
    assert os.access(SCRIPT, os.X_OK)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ttools/install-chromium\n" in makefile
    assert any(line.startswith("test:") and "browser" in line.split() for line in makefile.splitlines())


def test_nothing_happens_when_both_binaries_are_there(machine: Machine) -> None:
    machine.put_binary(machine.chromium)
    machine.put_binary(machine.chromedriver)
    done = machine.run(uid=1000)
    assert done.returncode == 0, done.stderr
    assert machine.calls() == [] and done.stdout == ""


@pytest.mark.parametrize("present", ["neither", "chromium", "chromedriver"])
def test_root_installs_both_packages_when_either_binary_is_missing(machine: Machine, present: str) -> None:
    if present != "neither":
        machine.put_binary(machine.folder / present)
    done = machine.run(uid=0)
    assert done.returncode == 0, done.stderr
    assert machine.calls() == ["id -u", apt(INSTALL)]  # no sudo for root, even where there is one
    assert "Installing Debian's chromium and chromium-driver" in done.stdout
    # Installed: the next run (the next `make test`) does nothing.
    assert machine.run(uid=0).returncode == 0
    assert machine.calls() == ["id -u", apt(INSTALL)]


def test_a_user_installs_through_sudo(machine: Machine) -> None:
    done = machine.run(uid=1000)
    assert done.returncode == 0, done.stderr
    # sudo resets the environment: the script passes DEBIAN_FRONTEND through env.
    assert machine.calls() == ["id -u", sudo_apt(INSTALL), apt(INSTALL)]


def test_a_user_without_sudo_is_told_what_to_run_and_nothing_is_tried(machine: Machine) -> None:
    done = machine.run(uid=1000, sudo=False)
    assert done.returncode == 1
    assert "not root and no sudo" in done.stderr and "apt-get install chromium chromium-driver" in done.stderr
    assert machine.calls() == ["id -u"]


def test_a_failed_install_updates_the_package_lists_and_tries_once_more(machine: Machine) -> None:
    done = machine.run(uid=0, install_fails=1)
    assert done.returncode == 0, done.stderr
    assert machine.calls() == ["id -u", apt(INSTALL), apt(UPDATE), apt(INSTALL)]
    assert machine.chromium.exists() and machine.chromedriver.exists()


@pytest.mark.parametrize(("install_fails", "update_fails"), [(2, False), (1, True)])
def test_the_script_fails_when_the_second_try_or_the_update_fails(
    machine: Machine, install_fails: int, update_fails: bool
) -> None:
    done = machine.run(uid=1000, install_fails=install_fails, update_fails=update_fails)
    assert done.returncode != 0
    tried = [sudo_apt(INSTALL), apt(INSTALL)]
    updated = [sudo_apt(UPDATE), apt(UPDATE)]
    assert machine.calls() == ["id -u", *tried, *updated, *([] if update_fails else tried)]
    assert not machine.chromium.exists()

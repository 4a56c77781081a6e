"""A Mosquitto broker process for the devnet (`ledgerhouse devnet up --iot`) and the tests.

Mosquitto is Debian's (`make mqtt-broker` installs it); sessions and queued QoS 1 messages persist
in the broker's directory, so a restarted broker still delivers what it accepted to a gateway whose
session it kept. It listens on 127.0.0.1 only, without authentication: readings carry their own
signatures, and the gateway trusts nothing else.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from client.errors import ConfigurationError

__all__ = ["Mosquitto", "find_mosquitto"]

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto")


def find_mosquitto() -> Path:
    found = shutil.which("mosquitto")
    candidates = [found] if found else []
    candidates += list(MOSQUITTO_PATHS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ConfigurationError(
        "Mosquitto is not installed: run `make mqtt-broker` (Debian's mosquitto package)"
    )


class Mosquitto:
    """One mosquitto process on 127.0.0.1:`port`, its config, persistence and log in `directory`."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.binary = find_mosquitto()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    def _config(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "mosquitto.conf"
        config.write_text(
            "\n".join(
                (
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    f"user {getpass.getuser()}",
                    "persistence true",
                    f"persistence_location {self.directory}/",
                    "autosave_interval 1",
                    "max_queued_messages 100000",
                    "max_inflight_messages 100",
                    f"log_dest file {self.log_path}",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "",
                )
            )
        )
        return config

    def start(self, *, timeout: float = 10.0) -> Mosquitto:
        if self._process is not None and self._process.poll() is None:
            return self
        self._process = subprocess.Popen(
            [str(self.binary), "-c", str(self._config())],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_path.read_text()[-400:] if self.log_path.exists() else ""
                raise ConfigurationError(
                    f"mosquitto exited at start (port {self.port} taken?): {tail.strip()}"
                )
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise ConfigurationError(f"mosquitto did not listen on port {self.port} within {timeout} s")

    def stop(self, *, grace: float = 5.0) -> None:
        """Stops the broker (SIGTERM: it saves its persistence database first)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

"""The notifier refuses to start on unsafe configuration (a real process, its exit code and message)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def run_notifier(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "notifier"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "NOTIFIER_DATA_DIR": str(tmp_path),
            **env,
        },
    )


@pytest.mark.parametrize(
    "text",
    [
        "Det är din tur. Logga in på https://1177.se nu. Ring 1177 om du blir sämre, 112 vid fara.",
        "Det är din tur. Gå till www.example.org. Ring 1177 om du blir sämre, 112 vid fara.",
        "Det är din tur. Se 1177.se. Ring 1177 om du blir sämre, 112 vid fara.",
    ],
)
def test_a_template_with_a_link_stops_the_notifier_at_startup(tmp_path: Path, text: str) -> None:
    overrides = tmp_path / "templates.json"
    overrides.write_text(json.dumps({"your_turn": {"sv": text}}), "utf-8")
    done = run_notifier({"NOTIFIER_TEMPLATES_PATH": str(overrides)}, tmp_path)
    assert done.returncode != 0
    assert "refusing to start: SMS template your_turn/sv contains a link or URL" in done.stderr
    assert "must be plain text" in done.stderr


def test_the_46elks_provider_without_credentials_stops_the_notifier_at_startup(tmp_path: Path) -> None:
    done = run_notifier({"SMS_PROVIDER": "46elks"}, tmp_path)
    assert done.returncode != 0
    assert "SMS_PROVIDER=46elks needs ELKS_API_USERNAME and ELKS_API_PASSWORD" in done.stderr

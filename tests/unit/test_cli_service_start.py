"""``triage <service>`` goes straight to the service: a restart does not import every subcommand."""

from __future__ import annotations

import subprocess
import sys

from services.cli import _service_only

OTHER_SUBCOMMANDS = ("services.staff.cli", "services.loadgen.cli", "services.simulate.cli", "httpx")


def test_triage_notifier_starts_the_notifier_without_importing_the_other_subcommands() -> None:
    # a fresh interpreter: this test session has imported those modules already
    code = (
        "import sys\n"
        "import services.runner as runner\n"
        f"runner.run_notifier = lambda: print([m for m in {OTHER_SUBCOMMANDS!r} if m in sys.modules])\n"
        "from services.cli import main\n"
        "main(['notifier'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_a_service_with_arguments_or_another_command_goes_through_the_full_parser() -> None:
    assert _service_only(["notifier", "--help"]) is None
    assert _service_only(["intake"]) is None  # intake has options (--workers)
    assert _service_only(["up"]) is None
    assert _service_only([]) is None
    assert _service_only(["queue"]).command == "queue"  # type: ignore[union-attr]

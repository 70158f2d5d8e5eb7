"""The composition root (``local/service.py``): one way to build store + runner + app + server."""

from __future__ import annotations

import subprocess
import sys

from pennylane_qoro.local.service import KEEP_ALIVE_SECONDS, _Stack


class TestStack:
    def test_one_server_configuration_for_every_entry_point(self) -> None:
        """Test the settings ``serve``/``start`` and ``qoro-local serve`` all get from _Stack."""
        stack = _Stack(db=None, workers=1, host="127.0.0.1", port=0)
        try:
            config = stack.server.config
            assert config.timeout_keep_alive == KEEP_ALIVE_SECONDS
            assert config.lifespan == "on" and config.access_log is False
            assert stack.url == f"http://127.0.0.1:{stack.port}/api" and stack.port > 0
        finally:
            stack.close()

    def test_the_command_line_log_level_turns_the_access_log_on_at_debug(self) -> None:
        stack = _Stack(db=None, workers=1, host="127.0.0.1", port=0, log_level="debug",
                       access_log=True)
        try:
            assert stack.server.config.access_log is True
            assert stack.server.config.timeout_keep_alive == KEEP_ALIVE_SECONDS
        finally:
            stack.close()



def test_embedded_service_exits_quietly_after_its_stderr_closed(tmp_path) -> None:
    """Test that stopping the embedded service at exit logs nothing into a closed stream.

    pytest and notebooks swap ``sys.stderr`` for a stream they close before ``atexit``
    handlers run; uvicorn's own handlers would hold that stream ("--- Logging error ---").
    """
    script = tmp_path / "embedded.py"
    script.write_text(
        "import io, logging, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"  # the host program logs at INFO
        "real, sys.stderr = sys.stderr, io.StringIO()\n"
        "from pennylane_qoro.local import start\n"
        "start()\n"
        "logging.getLogger('uvicorn.error').setLevel(logging.INFO)\n"  # as when debugging
        "sys.stderr.close(); sys.stderr = real\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Logging error" not in proc.stderr, proc.stderr

"""Tests of pennylane_qoro.characterization (a package: its basenames repeat elsewhere)."""

"""Tests of pennylane_qoro.local.analysis (a package: its basenames repeat elsewhere)."""

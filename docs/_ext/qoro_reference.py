"""Sphinx directives that generate the device reference from the code, so the docs cannot drift.

* ``.. qoro-capabilities:: gates | observables | measurements`` -- a table read from
  ``pennylane_qoro/qoro_maestro.toml`` (the device's only gate, observable and measurement list).
* ``.. qoro-device-options::`` -- the constructor's options: names and defaults from
  ``inspect.signature(QoroDevice.__init__)``, types and text from the ``Args:`` section of the
  class docstring. An option without a docstring entry is a build error.
* ``.. qoro-cli::`` -- every ``qoro-local`` command and option, from its argparse parser.
* ``.. qoro-bench:: analytic`` -- milliseconds per gradient step, per device and size, from
  ``docs/bench_results.json`` (what ``python -m bench --publish`` wrote).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import tomllib
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

import pennylane_qoro

TOML = Path(pennylane_qoro.__file__).with_name("qoro_maestro.toml")

_CONDITIONS = {"finiteshots": "with shots only", "analytic": "analytic (shots=None) only"}
_PROPERTIES = {
    "differentiable": "parameter-shift derivatives (device or transform)",
    "invertible": "``qml.adjoint`` of it is accepted",
}


def _capabilities() -> dict:
    with TOML.open("rb") as f:
        return tomllib.load(f)


def _note(entry: dict) -> str:
    notes = [_CONDITIONS.get(c, c) for c in entry.get("conditions", [])]
    notes += [_PROPERTIES.get(p, p) for p in entry.get("properties", [])]
    return "; ".join(notes) or "analytic and with shots"


def _table(title: str, header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    lines = [f".. list-table:: {title}", "   :header-rows: 1", "   :widths: 35 65", ""]
    for a, b in [header, *rows]:
        lines += [f"   * - {a}", f"     - {b}"]
    return "\n".join(lines) + "\n"


class CapabilitiesDirective(SphinxDirective):
    """``.. qoro-capabilities:: gates`` (or ``observables``, ``measurements``)."""

    required_arguments = 1

    def run(self):
        kind = self.arguments[0]
        caps = _capabilities()
        self.env.note_dependency(str(TOML))
        if kind == "gates":
            entries = caps["operators"]["gates"]
            rows = [(f"``qml.{name}``", _note(e)) for name, e in entries.items()]
            text = _table("Native gates (others are decomposed into these)",
                          ("operation", "notes"), rows)
        elif kind == "observables":
            entries = caps["operators"]["observables"]
            rows = [(f"``qml.{name}``", _note(e)) for name, e in entries.items()]
            text = _table("Observables", ("observable", "notes"), rows)
        elif kind == "measurements":
            from pennylane_qoro.preprocess.validation import MEASUREMENT_FUNCTIONS

            entries = caps["measurement_processes"]
            rows = [(f"``qml.{MEASUREMENT_FUNCTIONS.get(name, name)}()``", _note(e))
                    for name, e in entries.items()]
            text = _table("Measurements", ("measurement", "when"), rows)
        else:
            raise ExtensionError(f"qoro-capabilities: unknown kind {kind!r}")
        return self.parse_text_to_nodes(text)


_ARG = re.compile(r"^(\w+) \(([^)]*)\): (.*)$")


def device_options() -> list[tuple[str, str, str, str]]:
    """``(name, type, default, text)`` of every ``QoroDevice`` option, in signature order."""
    from pennylane_qoro import QoroDevice

    doc = inspect.cleandoc(QoroDevice.__doc__ or "")
    block = doc.split("Args:\n", 1)[1].split("\n\n", 1)[0]
    described: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in block.splitlines():
        match = _ARG.match(line.strip()) if not line.startswith("        ") else None
        if match:
            current = match.group(1)
            described[current] = (match.group(2), [match.group(3)])
        elif current is not None:
            described[current][1].append(line.strip())
    options = []
    for name, param in inspect.signature(QoroDevice.__init__).parameters.items():
        if name == "self" or param.kind is param.VAR_KEYWORD:
            continue
        if name not in described:
            raise ExtensionError(f"QoroDevice option {name!r} has no entry in the docstring")
        kind, text = described[name]
        default = "" if param.default is param.empty else repr(param.default)
        options.append((name, kind, default, " ".join(text)))
    return options


class DeviceOptionsDirective(SphinxDirective):
    """``.. qoro-device-options::``: the device's options as a table."""

    def run(self):
        lines = [".. list-table:: Device options", "   :header-rows: 1",
                 "   :widths: 20 20 15 45", "", "   * - option", "     - type",
                 "     - default", "     - meaning"]
        for name, kind, default, text in device_options():
            lines += [f"   * - ``{name}``", f"     - ``{kind}``",
                      f"     - ``{default}``" if default else "     -", f"     - {text}"]
        return self.parse_text_to_nodes("\n".join(lines) + "\n")


def cli_commands():
    """``(command, [(flags, help)])`` of every ``qoro-local`` (sub)command."""
    import argparse

    from pennylane_qoro.local.__main__ import _parser

    def walk(parser, prefix):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            options = [(", ".join(a.option_strings) + (f" {a.metavar or a.dest.upper()}"
                                                        if a.nargs != 0 else ""),
                        a.help or "")
                       for a in parser._actions if a.option_strings and a.dest != "help"]
            yield prefix, options
        for action in subs:
            for name, sub in action.choices.items():
                yield from walk(sub, f"{prefix} {name}")

    return list(walk(_parser(), "qoro-local"))


class CliDirective(SphinxDirective):
    """``.. qoro-cli::``: one table per ``qoro-local`` command."""

    def run(self):
        text = []
        for command, options in cli_commands():
            home = str(Path.home())
            rows = [(f"``{flags}``", help_text.replace("%%", "%").replace(home, "~"))
                    for flags, help_text in options]
            if rows:
                text.append(_table(f"``{command}``", ("option", "meaning"), rows))
            else:
                text.append(f"``{command}``: no options.\n")
        return self.parse_text_to_nodes("\n".join(text))


class BenchDirective(SphinxDirective):
    """``.. qoro-bench:: <mode>``: median ms per step from ``bench_results.json``.

    One table row per device found in the file for that mode, in the file's order, so rows
    added later (``lightning.qubit [adjoint] (different algorithm)``, analytic only) appear
    when a published run has them and are simply absent from an older file.
    """

    required_arguments = 1

    def run(self):
        path = Path(self.env.srcdir) / "bench_results.json"
        self.env.note_dependency(str(path))
        results = json.loads(path.read_text())
        mode = self.arguments[0]
        if mode not in results["modes"]:
            raise ExtensionError(f"qoro-bench: no mode {mode!r} in {path.name}")
        by_size = results["modes"][mode]
        sizes = sorted(by_size, key=int)
        devices = list(dict.fromkeys(d for size in sizes for d in by_size[size]))
        machine = results["machine"]
        lines = [f".. list-table:: {mode}: median ms per gradient step, "
                 f"{machine['cores']} cores, PennyLane {machine['pennylane']}",
                 "   :header-rows: 1", "", "   * - device"]
        lines += [f"     - n={size}" for size in sizes]
        for device in devices:
            lines.append(f"   * - ``{device}``")
            for size in sizes:
                row = by_size[size].get(device)
                median = row.get("median_s") if isinstance(row, dict) else None
                lines.append(f"     - {median * 1000:.0f}" if median is not None else "     - –")
        return self.parse_text_to_nodes("\n".join(lines) + "\n")


def setup(app):
    app.add_directive("qoro-bench", BenchDirective)
    app.add_directive("qoro-capabilities", CapabilitiesDirective)
    app.add_directive("qoro-device-options", DeviceOptionsDirective)
    app.add_directive("qoro-cli", CliDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

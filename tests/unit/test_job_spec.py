"""Tests for pennylane_qoro.job_spec: a planned job as the client's JobSpec."""

from __future__ import annotations

import numpy as np

from pennylane_qoro.compile.batching import JobPlan, TemplateGroup
from pennylane_qoro.job_spec import job_spec
from pennylane_qoro.targets import TargetInfo

SIM = TargetInfo("qoro_maestro", "simulator", True)
QPU = TargetInfo("ibm_x", "qpu", False)

TEMPLATE = TemplateGroup(
    qasm="rx(p_0) q[0];",
    parameter_names=("p_0",),
    labels=("c0", "c1"),
    values=np.array([[0.1], [0.2]]),
)


class TestJobSpec:
    """job_spec."""

    def test_template_rows_and_expectation_group(self):
        """Test template rows become (label, values) pairs and the group is wrapped once."""
        plan = JobPlan("EXPECTATION", templates=(TEMPLATE,), observables=("Z", "X"))
        spec = job_spec(plan, SIM, {"simulation_type": 1}, "t")
        [template] = spec.templates
        assert template.rows == (("c0", (0.1,)), ("c1", (0.2,)))
        assert spec.observables == (("Z", "X"),)
        assert spec.simulator_cluster == "qoro_maestro" and spec.qpu_system is None
        assert spec.maestro_config == {"simulation_type": 1} and spec.tag == "t"

    def test_sampled_bound_job_on_a_qpu_gets_no_simulator_config(self):
        """Test the QPU target fields; maestro_config never goes to a QPU."""
        plan = JobPlan("EXECUTE", circuits=(("c0", "h q[0];"),), shots=100)
        spec = job_spec(plan, QPU, {"seed": 3}, "t")
        assert (spec.simulator_cluster, spec.qpu_system) == (None, "ibm_x")
        assert spec.maestro_config is None and spec.observables is None
        assert spec.circuits == (("c0", "h q[0];"),) and spec.shots == 100

    def test_empty_config_is_sent_as_none(self):
        """Test a simulator job without options carries no maestro_config."""
        plan = JobPlan("EXECUTE", circuits=(("c0", "h q[0];"),), shots=1)
        assert job_spec(plan, SIM, {}, "t").maestro_config is None
        assert job_spec(plan, SIM, None, "t").maestro_config is None

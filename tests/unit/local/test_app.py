"""Composing the application (``local/app.py``): each router once, a passed router wins."""

from __future__ import annotations

from collections.abc import Iterator

import fastapi.routing
import pytest
import requests
from fastapi import FastAPI
from fastapi.routing import APIRoute

from pennylane_qoro.local import serve
from pennylane_qoro.local.app import create_app
from pennylane_qoro.local.routes.characterization import create_router
from pennylane_qoro.local.runner import Runner
from pennylane_qoro.local.store import Store

SUBMIT = "/api/job/{job_id}/submit_qubo/"
QUBO = {"qubo": {"0": -1.0, "0,1": 2.0, "1": -1.0}, "target_states": ["01"]}


@pytest.fixture(scope="module")
def parts() -> Iterator[tuple[Store, Runner]]:
    store = Store()
    runner = Runner(store, workers=1)
    yield store, runner
    runner.shutdown()
    store.close()


def api_routes(app: FastAPI) -> list:
    """Every API route the application serves, with its mounted path (FastAPI >= 0.165 keeps
    included routers lazily; ``iter_route_contexts`` resolves them)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    found = list(iterate(app.routes)) if iterate is not None else list(app.routes)
    return [r for r in found if isinstance(getattr(r, "original_route", r), APIRoute)]


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(path, method) of every API route of the application."""
    return [(route.path, method) for route in api_routes(app)
            for method in sorted(route.methods)]


def endpoints(app: FastAPI, path: str) -> list:
    """The endpoint functions serving ``path``."""
    return [route.endpoint for route in api_routes(app) if route.path == path]


class TestComposition:
    @pytest.mark.parametrize("extra", [None, "passed", ()])
    def test_route_paths_and_methods_are_unique(self, parts, extra) -> None:
        """Test that no path and method is served by two routes (each router mounted once)."""
        routers = [create_router(time_budget=0.0)] if extra == "passed" else extra
        pairs = routes(create_app(*parts, extra_routers=routers))
        assert len(pairs) == len(set(pairs)), sorted(p for p in pairs if pairs.count(p) > 1)
        assert ("/api/job/init/", "POST") in pairs
        assert ((SUBMIT, "POST") in pairs) == (extra != ())

    def test_the_default_app_serves_characterization_once(self, parts) -> None:
        """Test that the default characterization routes are mounted exactly once."""
        pairs = routes(create_app(*parts))
        assert pairs.count((SUBMIT, "POST")) == 1
        assert pairs.count(("/api/job/{job_id}/validation_result/", "GET")) == 1

    def test_a_passed_router_replaces_the_default(self, parts) -> None:
        """Test that the routes served are those of the router passed in, not a default copy."""
        mine = create_router(time_budget=0.0)
        app = create_app(*parts, extra_routers=[mine])
        passed = [r.endpoint for r in mine.routes if isinstance(r, APIRoute)
                  and r.path == "/job/{job_id}/submit_qubo/"]
        assert len(passed) == 1 and endpoints(app, SUBMIT) == passed

    def test_apps_do_not_share_a_characterization_router(self, parts) -> None:
        """Test that each application gets its own default router (own cache and budget)."""
        first = endpoints(create_app(*parts), SUBMIT)
        second = endpoints(create_app(*parts), SUBMIT)
        assert len(first) == len(second) == 1 and first[0] is not second[0]


def skipped_stages(**serve_options) -> list:
    """Characterize one small QUBO over HTTP; the stages the engine skipped."""
    with serve(**serve_options) as svc:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {svc.token}"
        r = session.post(f"{svc.url}/job/init/", json={"job_type": "VALIDATE", "tag": "t"},
                         timeout=60)
        assert r.status_code == 201, r.text
        job_id = r.json()["job_id"]
        r = session.post(f"{svc.url}/job/{job_id}/submit_qubo/", json=QUBO, timeout=120)
        assert r.status_code == 200, r.text
        r = session.get(f"{svc.url}/job/{job_id}/validation_result/", timeout=60)
        assert r.status_code == 200 and r.json()["status"] == "COMPLETED", r.text
        return r.json()["report"]["local"]["skipped"]


class TestPassedRouterTakesEffect:
    def test_a_zero_time_budget_skips_the_optional_stages(self) -> None:
        """Test that ``create_router(time_budget=0.0)`` passed to the app is the one that runs."""
        skipped = skipped_stages(workers=1, extra_routers=[create_router(time_budget=0.0)])
        assert skipped and all(s["reason"] == "time budget exhausted" for s in skipped)

    def test_the_default_budget_skips_nothing_on_a_small_problem(self) -> None:
        """Test the contrast: the default router runs every stage of a two-variable QUBO."""
        assert skipped_stages(workers=1) == []

"""Service CPU per request, per route: the registry's ASGI app called in-process (no HTTP, no
socket, no load generator), each route's requests one after another, timed with
`time.process_time()` (every thread of the process: the event loop and anyio's worker threads).

CPU time, unlike latency, hardly depends on what else runs on the machine, so this is the figure to
compare between versions on a shared machine. It leaves out only uvicorn's HTTP parsing and the
socket; bench_api.py's wrk runs report the served processes' whole CPU per request beside it.

    .venv/bin/python scripts/_bench_cpu.py STATE.json     (a plan and settings written by bench_api.py)
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.main import create_app  # noqa: E402
from registry.settings import Settings  # noqa: E402

WARM_UP = 20


async def _call(app: Any, path: str) -> tuple[int, int]:
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    status, size = 0, 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


async def _measure(
    settings: Settings, plan: list[list[Any]], per_route: int, rounds: int
) -> dict[str, dict[str, Any]]:
    app = create_app(settings)
    paths: dict[str, list[str]] = defaultdict(list)
    for label, path, _accepted in plan:
        paths[label].append(path)
    out: dict[str, dict[str, Any]] = {}
    async with app.router.lifespan_context(app):
        for candidates in paths.values():
            for i in range(WARM_UP):
                await _call(app, candidates[i % len(candidates)])
        # Rounds over every route, the cheapest round kept: other processes on a shared machine only
        # ever add to a round's CPU time (caches, frequency), never take from it.
        for _ in range(rounds):
            for label, candidates in paths.items():
                gc.collect()
                statuses: dict[int, int] = defaultdict(int)
                size = 0
                cpu, wall = time.process_time(), time.perf_counter()
                for i in range(per_route):
                    status, n = await _call(app, candidates[i % len(candidates)])
                    statuses[status] += 1
                    size += n
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                best = out.get(label)
                if best is None or cpu / per_route * 1e6 < best["cpu_us"]:
                    out[label] = {
                        "cpu_us": cpu / per_route * 1e6,
                        "wall_us": wall / per_route * 1e6,
                        "requests": per_route,
                        "rounds": rounds,
                        "mean_bytes": size / per_route,
                        "statuses": {str(k): v for k, v in statuses.items()},
                    }
    return out


def measure(
    settings: Settings, plan: list[list[Any]], per_route: int = 200, rounds: int = 3
) -> dict[str, dict[str, Any]]:
    """Service CPU µs per request for each route label of `plan`, the app run without its indexer."""
    import uvloop  # uvicorn's event loop, as the service runs (a server dependency)

    return uvloop.run(_measure(settings.model_copy(update={"index": False}), plan, per_route, rounds))


def main() -> int:
    state = json.loads(Path(sys.argv[1]).read_text())
    per_route = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    settings = Settings(
        rpc_url=state["rpc_url"],
        deployment=Path(state["deployment"]),
        data_dir=Path(state["data_dir"]),
        db_url=state.get("db_url"),
        public_url=state["public_url"],
    )
    figures = measure(settings, state["plan"], per_route)
    width = max(len(label) for label in figures)
    for label, f in figures.items():
        print(
            f"{label:<{width}}  {f['cpu_us']:8.0f} µs CPU  {f['wall_us']:8.0f} µs wall  "
            f"{f['mean_bytes']:8.0f} B  {f['statuses']}"
        )
    total = sum(f["cpu_us"] for f in figures.values()) / len(figures)
    print(f"{'mean over routes':<{width}}  {total:8.0f} µs CPU")
    if len(sys.argv) > 3:
        Path(sys.argv[3]).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

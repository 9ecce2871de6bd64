"""What the HTTP load benchmarks share (bench/checkins.py, bench/scaleout.py; request_path.py the data):
the observations they check in for, and the load client. Django must be set up before
`observations_prepare` is called."""

import json
import math
import sys
import time

from _server import emit  # bench/_server.py

DISTRICT = "110101000000"  # 东城区


def observations_prepare(count: int, district: str = DISTRICT) -> tuple[list[str], str]:
    """`count` active observations of residents of `district` (uids) and a fresh district admin's token.
    The data is built through the services the first time (the small demo city, the residents, their
    observations), then reused; the benchmark's own check-ins on them are deleted, so that every check-in
    it sends is a new one."""
    from django.core.management import call_command

    from epigrid.accounts.models import User
    from epigrid.accounts.roles import Role
    from epigrid.accounts.services import token_create, user_add
    from epigrid.core.principals import SYSTEM
    from epigrid.demo.services import demo_city_build
    from epigrid.health.models import CheckIn, Observation, Status
    from epigrid.health.services import observation_start
    from epigrid.regions.models import Grid
    from epigrid.residents.services import resident_create

    call_command("migrate", verbosity=0)
    if not Grid.objects.filter(code__startswith=district[:6]).exists():
        demo_city_build(seed=1, scale="small")
    if not User.objects.filter(username="benchadmin").exists():
        user_add(actor=SYSTEM, username="benchadmin", role=Role.DISTRICT_ADMIN, node_code=district)
    admin = User.objects.get(username="benchadmin")
    grids = list(Grid.objects.filter(code__startswith=district[:6]).values_list("code", flat=True))
    active = Observation.objects.filter(status=Status.ACTIVE, grid_code__startswith=district[:6])
    have = active.count()
    started = time.perf_counter()
    for i in range(have, count):
        resident = resident_create(actor=admin, data={"name": f"测试{i:05d}", "id_type": "passport",
                                                      "id_number": f"E{i:08d}", "grid_code": grids[i % len(grids)]})
        observation_start(actor=admin, resident=resident, kind="home", reason="arrival")
    if have < count:
        emit("setup_observations_per_s", (count - have) / (time.perf_counter() - started), "observations/s")
    uids = [str(u) for u in active.values_list("uid", flat=True)[:count]]
    CheckIn.objects.filter(observation__uid__in=uids).delete()
    _, token = token_create(actor=SYSTEM, username="benchadmin", name="bench", days=1)
    return uids, token


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


class Phase:
    """`concurrency` asyncio clients, each sending requests made by `make(client, i)` -> (method, path,
    body, key) one after another until time is up, on a kept-alive connection that is re-opened whenever
    the server closes it (gunicorn's sync workers close after every response). Client c talks to
    ports[c % len(ports)], as a round-robin load balancer would place its connections. Raw HTTP/1.1 over
    asyncio streams: a light load process, so that more of the two cores go to the server. A phase may
    run several times, interleaved with others; `result()` adds up every run."""

    def __init__(self, ports: list[int], token: str, make, expect: tuple[int, ...], concurrency: int = 8):
        self.ports, self.make, self.expect, self.concurrency = ports, make, expect, concurrency
        self.auth = f"Authorization: Bearer {token}\r\nAccept-Language: en\r\nHost: 127.0.0.1\r\n"
        self.latencies: list[float] = []
        self.elapsed = self.cpu = 0.0
        self.sent = [0] * concurrency  # requests each client has made, across runs
        self.errors = 0
        self.keys: list[str] = []  # acknowledged request keys
        self.samples: list[str] = []

    def _request(self, method: str, path: str, body: str | None) -> bytes:
        if body is None:
            return f"{method} {path} HTTP/1.1\r\n{self.auth}\r\n".encode()
        data = body.encode()
        return (f"{method} {path} HTTP/1.1\r\n{self.auth}Content-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode() + data

    async def _client(self, c: int, stop_at: float) -> None:
        import asyncio

        reader = writer = None
        while time.perf_counter() < stop_at:
            method, path, body, key = self.make(c, self.sent[c])
            self.sent[c] += 1
            started = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.ports[c % len(self.ports)])
                writer.write(self._request(method, path, body))
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                lower = head.lower()
                at = lower.find(b"content-length:")
                length = int(lower[at + 15:lower.find(b"\r\n", at)]) if at >= 0 else None
                data = await (reader.readexactly(length) if length is not None else reader.read())
                self.latencies.append(time.perf_counter() - started)
                if b"connection: close" in lower or length is None:
                    writer.close()
                    reader = writer = None
                if status in self.expect:
                    if key:
                        self.keys.append(key)
                else:
                    self.errors += 1
                    if len(self.samples) < 3:
                        self.samples.append(f"{status} {data[:200]!r}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.errors += 1
                if len(self.samples) < 3:
                    self.samples.append(repr(exc))
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    def run(self, seconds: float) -> "Phase":
        """Sends for `seconds` more."""
        import asyncio

        async def main():
            stop_at = time.perf_counter() + seconds
            await asyncio.gather(*(self._client(c, stop_at) for c in range(self.concurrency)))

        cpu, started = time.process_time(), time.perf_counter()
        asyncio.run(main())
        self.elapsed += time.perf_counter() - started
        self.cpu += time.process_time() - cpu
        return self

    def result(self) -> dict:
        lat = [x * 1000 for x in self.latencies]
        return {"n": len(lat), "rate": len(lat) / self.elapsed, "p50": percentile(lat, 0.5),
                "p99": percentile(lat, 0.99), "errors": self.errors, "samples": self.samples, "keys": self.keys,
                "client_cpu_ms": self.cpu * 1000 / max(1, len(lat))}


def report(name: str, result: dict, unit: str) -> None:
    emit(f"{name}_per_s", result["rate"], unit)
    emit(f"{name}_p50_ms", result["p50"], "ms")
    emit(f"{name}_p99_ms", result["p99"], "ms")
    emit(f"{name}_errors", result["errors"], "requests")
    emit(f"{name}_load_process_cpu_ms", result["client_cpu_ms"], "ms/request")
    for sample in result["samples"]:
        print(json.dumps({"sample_error": name, "detail": sample}, ensure_ascii=False), file=sys.stderr)

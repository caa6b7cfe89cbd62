"""Browser-like load flows for bench_app.py (asyncio + httpx2), each bounded in count and time.

Every virtual user behaves as the pages make a browser behave: it reads the CSRF token from
the page it is on, sends htmx requests with `HX-Request: true` and `X-CSRF-Token`, and
follows redirects itself (so each request is timed on its own). Traffic goes only to the
base URL given (127.0.0.1). Nothing here asserts: the caller prints the figures.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2 as httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ANON = re.compile(r"cakap_anon=([^;]+)")
FIELDSET = re.compile(r'<fieldset class="question" id="soal-([^"]+)"(.*?)</fieldset>', re.S)
CHOICE = re.compile(r'type="(radio|checkbox)" name="q-[^"]+" value="(\d+)"')
HTMX = {"HX-Request": "true"}


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (what wrk reports too); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Stats:
    """Latencies (ms) and errors of one scenario, overall and per kind of request."""

    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None

    def add(self, kind: str, ms: float, error: str | None = None) -> None:
        self.latencies.append(ms)
        self.by_kind[kind].append(ms)
        if error:
            self.errors[error] += 1

    def fail(self, error: str) -> None:
        self.errors[error] += 1

    def summary(self) -> dict:
        elapsed = (self.finished or time.perf_counter()) - self.started
        return {
            "requests": len(self.latencies),
            "seconds": round(elapsed, 2),
            "rps": round(len(self.latencies) / elapsed, 1) if elapsed else None,
            "p50_ms": _round(percentile(self.latencies, 50)),
            "p95_ms": _round(percentile(self.latencies, 95)),
            "p99_ms": _round(percentile(self.latencies, 99)),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors.most_common(8)),
            "by_kind": {
                kind: {
                    "requests": len(v),
                    "p50_ms": _round(percentile(v, 50)),
                    "p95_ms": _round(percentile(v, 95)),
                    "p99_ms": _round(percentile(v, 99)),
                }
                for kind, v in self.by_kind.items()
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def cookie_header(token: str) -> str:
    """A returning browser's cookies: the session and its anonymous CSRF nonce."""
    return f"cakap_session={token}; cakap_anon={token[:22]}"


def make_client(base: str, connections: int) -> httpx.AsyncClient:
    # One pool for every virtual user; cookies are sent per user by hand, so the shared jar
    # must never keep any (one user's cookie would leak into the next user's request).
    jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=base,
        cookies=jar,
        follow_redirects=False,
        # Idle connections are dropped after 2 s, well before uvicorn's keep-alive timeout
        # (5 s) closes them: with the same 5 s on both sides, a request sent on a
        # connection the server is just closing failed with ReadError (all of the quiz
        # storm's errors), where a browser resends it on a new connection without the
        # learner noticing. 4 s still left a few when the server's loop lagged.
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=2.0,
        ),
        # A page that takes longer than this is an error for any learner.
        timeout=httpx.Timeout(30.0),
    )


class User:
    """One learner: a session cookie and the CSRF token of the last page read."""

    def __init__(self, token: str | None = None, **info):
        self.cookie = cookie_header(token) if token else ""
        self.csrf: str | None = None
        self.info = info

    async def call(
        self,
        client: httpx.AsyncClient,
        stats: Stats,
        kind: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        data: dict | None = None,
        headers: dict | None = None,
        check=None,
    ) -> httpx.Response | None:
        """Send one request and time it; None (and an error counted) if it is not as expected."""
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        t0 = time.perf_counter()
        try:
            response = await client.request(method, path, data=data, headers=sent)
        except httpx.HTTPError as exc:
            stats.add(kind, (time.perf_counter() - t0) * 1000, f"{kind}: {type(exc).__name__}")
            return None
        ms = (time.perf_counter() - t0) * 1000
        if response.status_code not in expect:
            stats.add(kind, ms, f"{kind}: HTTP {response.status_code}")
            return None
        if check is not None and not check(response):
            stats.add(kind, ms, f"{kind}: unexpected body")
            return None
        stats.add(kind, ms)
        match = CSRF.search(response.text) if method == "GET" else None
        if match:
            self.csrf = match.group(1)
        return response


def parse_questions(html: str) -> list[tuple[str, str, list[str]]]:
    """(question id, kind, option values) for each question of an attempt page."""
    questions = []
    for qid, block in FIELDSET.findall(html):
        choices = CHOICE.findall(block)
        if choices:
            questions.append((qid, choices[0][0], [value for _, value in choices]))
        else:
            questions.append((qid, "numeric" if 'inputmode="decimal"' in block else "text", []))
    return questions


def pick_answer(kind: str, options: list[str], rng: random.Random) -> list[str]:
    if kind == "radio":
        return [rng.choice(options)]
    if kind == "checkbox":
        return rng.sample(options, rng.randint(1, len(options)))
    if kind == "numeric":
        return [str(rng.randint(0, 100))]
    return [rng.choice(["phishing", "srikandi", "tidak tahu", "baseline"])]


def answer_form(qid: str, values: list[str]) -> dict:
    return {"question": qid, f"q-{qid}": values}


async def start_attempt(client, stats: Stats, user: User, course: str, quiz: str):
    """Open the quiz intro, press "Mulai", load the attempt: (attempt id, questions)."""
    intro = f"/kursus/{course}/kuis/{quiz}"
    if await user.call(client, stats, "quiz intro", "GET", intro) is None:
        return None
    started = await user.call(
        client,
        stats,
        "quiz start",
        "POST",
        intro + "/mulai",
        expect=(303,),
        data={"csrf_token": user.csrf},
    )
    if started is None:
        return None
    location = started.headers.get("location", "")
    page = await user.call(client, stats, "attempt page", "GET", location)
    if page is None:
        return None
    return int(location.rsplit("/", 1)[1]), parse_questions(page.text)


# --------------------------------------------------------------------------- scenarios


async def log_in(client, stats: Stats, account: dict, password: str) -> bool:
    """The login page, then the htmx POST of NIP and password: True when logged in."""
    visitor = User()
    page = await visitor.call(client, stats, "login page", "GET", "/masuk")
    if page is None:
        return False
    anon = ANON.search(page.headers.get("set-cookie", ""))
    visitor.cookie = f"cakap_anon={anon.group(1)}" if anon else ""
    done = await visitor.call(
        client,
        stats,
        "login",
        "POST",
        "/masuk",
        data={"identifier": account["nip"], "password": password, "csrf_token": visitor.csrf},
        headers=HTMX,
        check=lambda r: "hx-redirect" in r.headers,
    )
    return done is not None


def _login_figures(stats: Stats, ok: int) -> dict:
    out = stats.summary()
    out["logins"] = ok
    out["logins_per_s"] = round(ok / out["seconds"], 2) if out["seconds"] else None
    login = out["by_kind"].get("login", {})
    out.update({f"login_{k}": v for k, v in login.items() if k.endswith("_ms")})
    return out


async def login_storm(
    base: str, users: list[dict], password: str, *, concurrency: int, seconds: float
) -> dict:
    """Log in as many accounts as possible (bounded by count and time), `concurrency` at once."""
    stats = Stats()
    queue = list(users)
    deadline = time.perf_counter() + seconds
    ok = 0

    async def worker(client):
        nonlocal ok
        while queue and time.perf_counter() < deadline:
            # Not `ok += await …`: that reads `ok` before the await and loses the logins
            # the other workers counted meanwhile.
            logged_in = await log_in(client, stats, queue.pop(), password)
            ok += logged_in

    async with make_client(base, concurrency) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    stats.finished = time.perf_counter()
    return _login_figures(stats, ok)


async def login_arrivals(
    base: str,
    users: list[dict],
    password: str,
    *,
    window: float,
    connections: int,
    max_seconds: float,
    seed: int = 9,
) -> dict:
    """Everyone logs in once, arriving at random within `window` s (08:00 at the office)."""
    rng = random.Random(seed)
    stats = Stats()
    offsets = sorted(rng.uniform(0, window) for _ in users)
    ok = 0

    async def flow(client, account, offset):
        nonlocal ok
        await asyncio.sleep(offset)
        logged_in = await log_in(client, stats, account, password)
        ok += logged_in

    pending = await run_flows(base, connections, flow, users, offsets, max_seconds, stats)
    out = _login_figures(stats, ok)
    out.update(users=len(users), unfinished=len(pending))
    return out


async def prepare_attempts(base: str, users: list[dict], course: str, quiz: str) -> list[dict]:
    """Start (or resume) one attempt per user, one user at a time with retries: this is
    set-up, not measurement. Returns what answering needs."""
    ready = []
    problems: Counter = Counter()
    async with make_client(base, 1) as client:
        for info in users:
            for _try in range(3):
                stats = Stats()
                user = User(info["token"])
                got = await start_attempt(client, stats, user, course, quiz)
                problems.update(stats.errors)
                if got:
                    attempt_id, questions = got
                    ready.append(
                        {**info, "attempt": attempt_id, "questions": questions, "csrf": user.csrf}
                    )
                    break
                await asyncio.sleep(0.5)
    if len(ready) < len(users):
        raise RuntimeError(f"could not start practice attempts: {dict(problems)}")
    return ready


def answer_lines(prepared: list[dict], rng: random.Random, per_user: int = 20) -> list[str]:
    """wrk request lines: htmx answer saves, `per_user` per user, users interleaved."""
    lines = []
    for _ in range(per_user):
        for p in prepared:
            qid, kind, options = rng.choice(p["questions"])
            body = "&".join(
                [f"question={qid}"] + [f"q-{qid}={v}" for v in pick_answer(kind, options, rng)]
            ).replace(" ", "+")
            headers = "|".join(
                [
                    f"Cookie: {cookie_header(p['token'])}",
                    f"X-CSRF-Token: {p['csrf']}",
                    "HX-Request: true",
                    "Content-Type: application/x-www-form-urlencoded",
                ]
            )
            lines.append(f"POST\t/kuis/percobaan/{p['attempt']}/jawab\t{headers}\t{body}")
    return lines


async def paced_answers(
    base: str, prepared: list[dict], *, interval: float, seconds: float, seed: int = 3
) -> dict:
    """Each user saves an answer every `interval` s on average (Poisson), for `seconds`."""
    rng = random.Random(seed)
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def user_loop(client, p):
        user = User(p["token"])
        while True:
            await asyncio.sleep(rng.expovariate(1 / interval))
            if time.perf_counter() >= deadline:
                return
            qid, kind, options = rng.choice(p["questions"])
            await user.call(
                client,
                stats,
                "answer",
                "POST",
                f"/kuis/percobaan/{p['attempt']}/jawab",
                data=answer_form(qid, pick_answer(kind, options, rng)),
                headers={**HTMX, "X-CSRF-Token": p["csrf"]},
                check=lambda r: "Tersimpan" in r.text,
            )

    async with make_client(base, len(prepared)) as client:
        await asyncio.gather(*(user_loop(client, p) for p in prepared))
    stats.finished = time.perf_counter()
    return stats.summary()


async def run_flows(base, connections, flow, users, offsets, max_seconds, stats) -> set:
    """Run one `flow(client, user, offset)` per user on a shared client; flows still running
    after `max_seconds` are cancelled and counted as one failure. Returns those unfinished."""
    async with make_client(base, connections) as client:
        tasks = [
            asyncio.create_task(flow(client, u, o)) for u, o in zip(users, offsets, strict=True)
        ]
        _done, pending = await asyncio.wait(tasks, timeout=max_seconds)
        for task in pending:
            task.cancel()
        if pending:
            stats.fail(f"unfinished after {max_seconds:.0f} s")
            await asyncio.gather(*pending, return_exceptions=True)
    stats.finished = time.perf_counter()
    return pending


async def quiz_storm(
    base: str,
    users: list[dict],
    *,
    course: str,
    quiz: str,
    window: float,
    think: float,
    connections: int,
    max_seconds: float,
    seed: int = 5,
) -> dict:
    """Everyone starts the same timed quiz within `window` s, answers every question (one
    htmx save each, `think` s apart on average) and submits the whole form."""
    rng = random.Random(seed)
    stats = Stats()
    acknowledged: list[tuple[int, str]] = []
    submitted: list[int] = []
    start_times: list[float] = []
    offsets = sorted(rng.uniform(0, window) for _ in users)
    t0 = time.perf_counter()

    async def flow(client, info, offset):
        await asyncio.sleep(offset)
        user = User(info["token"])
        got = await start_attempt(client, stats, user, course, quiz)
        if got is None:
            return
        start_times.append(time.perf_counter() - t0)
        attempt_id, questions = got
        # konfirmasi: a learner asked about unanswered questions (a failed save) confirms.
        form: dict[str, list[str] | str] = {"csrf_token": user.csrf, "konfirmasi": "1"}
        for qid, kind, options in questions:
            await asyncio.sleep(rng.uniform(0, 2 * think))
            values = pick_answer(kind, options, rng)
            saved = await user.call(
                client,
                stats,
                "answer",
                "POST",
                f"/kuis/percobaan/{attempt_id}/jawab",
                data=answer_form(qid, values),
                headers={**HTMX, "X-CSRF-Token": user.csrf},
                check=lambda r: "Tersimpan" in r.text,
            )
            if saved is not None:
                acknowledged.append((attempt_id, qid))
            form[f"seen-{qid}"] = "1"
            form[f"q-{qid}"] = values
        await asyncio.sleep(rng.uniform(0, 2 * think))
        # "Kumpulkan jawaban" is a plain submit of the whole form, answers included.
        done = await user.call(
            client,
            stats,
            "submit",
            "POST",
            f"/kuis/percobaan/{attempt_id}/kumpulkan",
            expect=(303,),
            data=form,
        )
        if done is None:
            return
        submitted.append(attempt_id)
        await user.call(client, stats, "result page", "GET", done.headers["location"])

    pending = await run_flows(base, connections, flow, users, offsets, max_seconds, stats)
    out = stats.summary()
    out.update(
        users=len(users),
        started=len(start_times),
        last_start_s=round(max(start_times), 1) if start_times else None,
        submitted=len(submitted),
        unfinished=len(pending),
    )
    out["_acknowledged"] = acknowledged
    out["_submitted"] = submitted
    return out


async def checkin_burst(
    base: str,
    users: list[dict],
    *,
    session_id: int,
    day_id: int,
    code_for,
    window: float,
    double_tap: float,
    connections: int,
    max_seconds: float,
    seed: int = 7,
) -> dict:
    """Every participant scans the QR code within `window` s: the confirm page, the htmx
    POST, the confirmation; a share of them taps twice."""
    rng = random.Random(seed)
    stats = Stats()
    recorded: list[int] = []
    offsets = sorted(rng.uniform(0, window) for _ in users)

    def accepted(response) -> bool:
        return "tercatat=" in response.headers.get("hx-redirect", "")

    async def flow(client, info, offset):
        await asyncio.sleep(offset)
        user = User(info["token"])
        code = code_for(datetime.now(UTC))
        query = f"/bimtek/absen?sesi={session_id}&hari={day_id}&kode={code}"
        if await user.call(client, stats, "scan (form)", "GET", query) is None:
            return
        form = {
            "csrf_token": user.csrf,
            "sesi": str(session_id),
            "hari": str(day_id),
            "kode": code,
            "cara": "qr",
        }
        headers = {**HTMX, "X-CSRF-Token": user.csrf}
        taps = 2 if rng.random() < double_tap else 1
        ok = False
        for _ in range(taps):
            ok = (
                await user.call(
                    client,
                    stats,
                    "check-in",
                    "POST",
                    "/bimtek/absen",
                    data=form,
                    headers=headers,
                    check=accepted,
                )
                is not None
            ) or ok
        if ok:
            recorded.append(info["id"])
            await user.call(
                client,
                stats,
                "confirmation",
                "GET",
                f"/bimtek/absen?tercatat={day_id}",
                check=lambda r: 'id="checkin-ok"' in r.text,
            )

    await run_flows(base, connections, flow, users, offsets, max_seconds, stats)
    out = stats.summary()
    out.update(users=len(users), recorded=len(recorded))
    out["_recorded"] = recorded
    return out


async def sequential(base: str, user: User, path: str, *, count: int, seconds: float) -> dict:
    """One request after another (heavy pages: reports, exports), bounded by count and time."""
    stats = Stats()
    deadline = time.perf_counter() + seconds
    sizes = []
    async with make_client(base, 1) as client:
        for _ in range(count):
            if time.perf_counter() >= deadline:
                break
            response = await user.call(client, stats, "get", "GET", path)
            if response is not None:
                sizes.append(len(response.content))
    stats.finished = time.perf_counter()
    out = stats.summary()
    out["bytes"] = max(sizes) if sizes else None
    return out


# Soak: what learners do all day, 80 % reads and 20 % writes.
SOAK_MIX = [
    ("home", 25, False),
    ("module page", 30, False),
    ("catalogue fragment", 10, False),
    ("quiz intro", 10, False),
    ("my certificates", 5, False),
    ("answer save", 10, True),
    ("module open", 7, True),
    ("module done", 3, True),
]


async def soak(
    base: str,
    prepared: list[dict],
    *,
    course: str,
    quiz: str,
    modules: list[str],
    think: float,
    seconds: float,
    sample_every: float,
    sample,
    seed: int = 11,
) -> dict:
    """Mixed traffic from every prepared user for `seconds`; `sample()` is called every
    `sample_every` s and its dicts are returned with the interval's throughput and p95."""
    rng = random.Random(seed)
    stats = Stats()
    names = [name for name, _, _ in SOAK_MIX]
    weights = [w for _, w, _ in SOAK_MIX]
    writes = {name for name, _, is_write in SOAK_MIX if is_write}
    deadline = time.perf_counter() + seconds
    samples = []
    write_count = 0

    async def user_loop(client, p):
        nonlocal write_count
        user = User(p["token"])
        user.csrf = p["csrf"]
        htmx = {**HTMX}
        while time.perf_counter() < deadline:
            await asyncio.sleep(rng.uniform(0, 2 * think))
            if time.perf_counter() >= deadline:
                return
            action = rng.choices(names, weights)[0]
            module = rng.choice(modules)
            htmx["X-CSRF-Token"] = user.csrf
            write_count += action in writes
            if action == "home":
                await user.call(client, stats, action, "GET", "/")
            elif action == "module page":
                await user.call(client, stats, action, "GET", f"/kursus/{course}/modul/{module}")
            elif action == "catalogue fragment":
                await user.call(client, stats, action, "GET", "/kursus", headers=HTMX)
            elif action == "quiz intro":
                await user.call(client, stats, action, "GET", f"/kursus/{course}/kuis/{quiz}")
            elif action == "my certificates":
                await user.call(client, stats, action, "GET", "/sertifikat")
            elif action == "answer save":
                qid, kind, options = rng.choice(p["questions"])
                await user.call(
                    client,
                    stats,
                    action,
                    "POST",
                    f"/kuis/percobaan/{p['attempt']}/jawab",
                    data=answer_form(qid, pick_answer(kind, options, rng)),
                    headers=htmx,
                    check=lambda r: "Tersimpan" in r.text,
                )
            elif action == "module open":
                await user.call(
                    client,
                    stats,
                    action,
                    "POST",
                    f"/kursus/{course}/modul/{module}/buka",
                    expect=(204,),
                    headers=htmx,
                )
            else:
                await user.call(
                    client,
                    stats,
                    action,
                    "POST",
                    f"/kursus/{course}/modul/{module}/selesai",
                    headers=htmx,
                )

    async def sampler():
        seen = 0
        t_start = time.perf_counter()
        while True:
            now = time.perf_counter()
            window = stats.latencies[seen:]
            seen += len(window)
            row = {"t_s": round(now - t_start), **sample()}
            if samples:
                row["rps"] = round(len(window) / sample_every, 1)
                row["p95_ms"] = _round(percentile(window, 95))
            samples.append(row)
            if now >= deadline:
                return
            await asyncio.sleep(min(sample_every, max(0.0, deadline - now)))

    async with make_client(base, len(prepared)) as client:
        await asyncio.gather(sampler(), *(user_loop(client, p) for p in prepared))
    stats.finished = time.perf_counter()
    out = stats.summary()
    out["samples"] = samples
    out["write_share"] = round(write_count / max(1, len(stats.latencies)), 3)
    return out

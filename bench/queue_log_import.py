"""Benchmark `import_queue_log`: synthetic realistic queue_log lines into the configured database."""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import cpu_of, record

ROOT = Path(__file__).resolve().parents[1]
QUEUES = ["sales", "support", "billing", "tech"]
START = 1763974800  # 2025-11-24 09:00:00 UTC


def _call_lines(
    rng: random.Random, *, call_id: str, at: int, agents: dict[str, int]
) -> list[tuple[int, str]]:
    """One caller's lines: queued, maybe overflowed, then answered, abandoned or timed out."""
    queue = rng.choice(QUEUES)
    caller = f"555{rng.randrange(10**7):07d}"
    lines = [(at, f"{at}|{call_id}|{queue}|NONE|ENTERQUEUE||{caller}|1")]
    patience = int(rng.expovariate(1 / 90)) + 5
    if rng.random() < 0.1:  # overflow after the queue timeout into another queue, same second
        wait = rng.randint(20, 60)
        lines.append((at + wait, f"{at + wait}|{call_id}|{queue}|NONE|EXITWITHTIMEOUT|1|1|{wait}"))
        at, queue = at + wait, rng.choice([q for q in QUEUES if q != queue])
        lines.append((at, f"{at}|{call_id}|{queue}|NONE|ENTERQUEUE||{caller}|1"))
    agent = min(agents, key=agents.__getitem__)  # the longest-idle agent gets the call
    wait = max(0, agents[agent] - at) + rng.randint(1, 6)
    if wait > patience:
        if rng.random() < 0.85:
            lines.append((at + patience, f"{at + patience}|{call_id}|{queue}|NONE|ABANDON|1|1|{patience}"))
        else:
            lines.append(
                (at + patience, f"{at + patience}|{call_id}|{queue}|NONE|EXITWITHKEY|0|1|1|{patience}")
            )
        return lines
    if rng.random() < 0.2:
        other = rng.choice(list(agents))
        ring = max(at, at + wait - 2)
        lines.append((ring, f"{ring}|{call_id}|{queue}|{other}|RINGNOANSWER|{15000}"))
    connect = at + wait
    lines.append(
        (connect, f"{connect}|{call_id}|{queue}|{agent}|CONNECT|{wait}|{call_id}1|{rng.randint(1, 5)}")
    )
    talk = int(rng.expovariate(1 / 180)) + 10
    end = connect + talk
    if rng.random() < 0.05:
        lines.append(
            (
                end,
                f"{end}|{call_id}|{queue}|{agent}|BLINDTRANSFER|2{rng.randrange(1000):03d}|from-internal|{wait}|{talk}|1",
            )
        )
    else:
        verb = rng.choice(["COMPLETECALLER", "COMPLETEAGENT"])
        lines.append((end, f"{end}|{call_id}|{queue}|{agent}|{verb}|{wait}|{talk}|1"))
    agents[agent] = end + rng.randint(5, 30)  # after-call work before the next call
    return lines


def queue_log_generate(*, path: Path, lines: int, agents: int, seed: int, site: str = "") -> int:
    """Write about `lines` lines in time order to `path`; return how many were written. `site`
    prefixes the agent codes (each run imports a new site's agents, as it uses a new source)."""
    rng = random.Random(seed)  # synthetic data: reproducible, not secret
    free_at = {f"{site}agent{n:03d}": START for n in range(1, agents + 1)}
    rows: list[tuple[int, str]] = [(START, f"{START}|NONE|NONE|NONE|QUEUESTART|")]
    rows += [(START, f"{START}|NONE|{rng.choice(QUEUES)}|{code}|ADDMEMBER|") for code in free_at]
    at, seq = START, 0
    while len(rows) < lines:
        seq += 1
        at += int(rng.expovariate(1 / 3))  # a call every ~3 s across the center
        rows += _call_lines(rng, call_id=f"{at}.{seq}", at=at, agents=free_at)
        if rng.random() < 0.02:
            code = rng.choice(list(free_at))
            rows.append((at, f"{at}|NONE|NONE|{code}|PAUSE|break"))
            rows.append((at + 300, f"{at + 300}|NONE|NONE|{code}|UNPAUSE|"))
    rows = rows[:lines]
    rows.sort(key=lambda row: row[0])  # Python's sort is stable: a call's same-second lines keep their order
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for _ts, line in rows)
    return len(rows)


def _own_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--batch-size", type=int, default=0, help="lines per transaction (default: the command's)"
    )
    parser.add_argument("--source", default="", help="feed source name (default: a fresh one per run)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
    import django

    django.setup()
    from telephony.queue_log import queue_log_import

    source = args.source or f"bench-ql-{int(time.time())}"  # fresh, so every line is new work
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "queue_log"
        written = queue_log_generate(
            path=path, lines=args.lines, agents=args.agents, seed=args.seed, site=f"{source}-"
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        before = (_own_cpu(resource.RUSAGE_SELF), _own_cpu(resource.RUSAGE_CHILDREN), cpu_of(backend))
        started = time.perf_counter()
        sizes = {"batch_size": args.batch_size} if args.batch_size else {}
        summary = queue_log_import(path_or_lines=path, source_name=source, **sizes)
        elapsed = time.perf_counter() - started
        after = (_own_cpu(resource.RUSAGE_SELF), _own_cpu(resource.RUSAGE_CHILDREN), cpu_of(backend))
    print(f"source {source}: {summary.as_line()}")
    print(f"import_queue_log: {written} lines in {elapsed:.1f} s = {written / elapsed:,.0f} lines/s")
    # CPU per line does not depend on what else the machine is doing; the rate does.
    spent = [(end - begin) / written * 1e6 for begin, end in zip(before, after, strict=True)]
    print(
        f"CPU per line: importer {spent[0]:.0f} µs, parser process {spent[1]:.0f} µs,"
        f" PostgreSQL {spent[2]:.0f} µs (on 2 cores at best {2e6 / sum(spent):,.0f} lines/s)"
    )
    record("queue_log_lines_per_s", written / elapsed, "lines/s")


if __name__ == "__main__":
    main()

"""python manage.py simulate_acd: run the simulated ACD; send its events to the ingest API or the database."""

from __future__ import annotations

import http.client
import json
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections

from telephony.ivr.graph import queues_of
from telephony.simulator import FeedStats, SimConfig, config_simple, event_seconds, simulate, simulation

FLUSH_EVERY_S = 0.5  # at --speed > 0, a partial batch waits at most this long (real time)
COMMAND_POLL_S = 0.5  # at --speed > 0, how often desktop commands are fetched
HEARTBEAT_EVERY_S = 10.0
IVR_RELOAD_S = 15.0  # at --speed > 0, how often a newly published IVR version is picked up
MAX_BACKOFF_S = 30.0
DEFAULT_QUEUES = "sales,support"
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class _Sender:
    """Delivers batches, retrying transient failures with backoff: a batch is never dropped."""

    def __init__(
        self, *, deliver: Callable[[list[dict[str, Any]]], dict[str, Any]], warn: Callable[[str], None]
    ):
        self.deliver = deliver
        self.warn = warn
        self.sent = self.accepted = self.duplicates = self.rejected = 0

    def send(self, batch: list[dict[str, Any]]) -> None:
        delay = 0.5
        while True:
            try:
                response = self.deliver(batch)
                break
            except _TransientError as error:
                # Retrying is safe even when the first attempt was stored: repeated event ids are
                # counted as duplicates and ignored by the ingest.
                self.warn(f"{error}; retrying the batch of {len(batch)} in {delay:g} s")
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
        self.sent += len(batch)
        self.accepted += int(response.get("accepted", 0))
        self.duplicates += int(response.get("duplicates", 0))
        rejected = response.get("rejected") or []
        self.rejected += len(rejected)
        for item in rejected[:3]:
            self.warn(f"rejected event {batch[item['index']]['event_id']}: {item['error']}")


class _TransientError(Exception):
    pass


def _http_deliverer(url: str, token: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def deliver(batch: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps(batch, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s) in handle()
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http(s) only, see above
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode(errors="replace")
            if error.code >= 500 or error.code == 429:
                raise _TransientError(f"the ingest API answered {error.code}") from None
            # 4xx: a wrong token or a bad request; retrying cannot help, so stop loudly instead.
            raise CommandError(f"the ingest API refused the batch with {error.code}: {detail}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            raise _TransientError(f"cannot reach {url}: {error}") from None

    return deliver


def _direct_deliverer(source_name: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    from telephony.live import ingest_effects_publish
    from telephony.services import call_events_ingest, feed_source_ensure

    def deliver(batch: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            source = feed_source_ensure(name=source_name)
            result = call_events_ingest(source=source, raw_events=batch, origin="simulator")
        except (OperationalError, InterfaceError) as error:
            close_old_connections()  # a dropped connection is reopened on the next try
            raise _TransientError(f"database unavailable: {error}") from None
        ingest_effects_publish(result)
        return result.as_response()

    return deliver


Commands = Callable[[], list[dict[str, Any]]]


def _http_commands(url: str, token: str, warn: Callable[[str], None]) -> Commands:
    """Takes the desktop's pending commands from the platform (POST /api/telephony/commands)."""
    parts = urllib.parse.urlsplit(url)
    commands_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/api/telephony/commands", "", ""))

    def fetch() -> list[dict[str, Any]]:
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in handle()
            commands_url, data=b"", method="POST", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http(s) only
                return json.loads(response.read() or b"{}").get("commands", [])
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            warn(f"cannot fetch desktop commands from {commands_url}: {error}")
            return []

    return fetch


def _direct_commands(source_name: str, warn: Callable[[str], None]) -> Commands:
    from telephony.acd import acd_commands_take
    from telephony.services import feed_source_ensure

    def fetch() -> list[dict[str, Any]]:
        try:
            taken = acd_commands_take(source=feed_source_ensure(name=source_name))
        except (OperationalError, InterfaceError) as error:
            close_old_connections()
            warn(f"cannot fetch desktop commands: {error}")
            return []
        return [
            {"agent": c.agent_code, "action": c.action, "call_id": c.call_id, "data": c.data} for c in taken
        ]

    return fetch


def _parse_skills(
    text: str, *, queues: list[str], agents: int
) -> tuple[dict[str, frozenset[str]], dict[str, dict[str, int]]]:
    """--skills 'agent1=sales:5+support,agent2=support' → skills per code and levels (default 1)."""
    skills: dict[str, frozenset[str]] = {}
    levels: dict[str, dict[str, int]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        code, _sep, names = item.partition("=")
        own: dict[str, int] = {}
        for part in filter(None, (name.strip() for name in names.split("+"))):
            name, _colon, level = part.partition(":")
            if level and (not level.isdigit() or not 1 <= int(level) <= 5):
                raise CommandError(f"--skills level in {part!r} must be 1 to 5, e.g. sales:4")
            own[name.strip()] = int(level) if level else 1
        wanted = frozenset(own)
        if not _sep or not wanted:
            raise CommandError(f"--skills item {item!r} must look like agent1=sales+support (or sales:4)")
        if code not in {f"agent{n}" for n in range(1, agents + 1)}:
            raise CommandError(f"--skills names {code!r}, but the agents are agent1..agent{agents}")
        unknown = wanted - set(queues)
        if unknown:
            raise CommandError(
                f"--skills gives {code} unknown queue(s) {sorted(unknown)}; --queues are {queues}"
            )
        skills[code] = wanted
        levels[code] = own
    return skills, levels


class _StoredRouting:
    """What the database says about routing: the published IVR, queue settings and agents' skills.

    Read once at the start (and the IVR again now and then at --speed > 0). A database that cannot
    be reached (posting to a remote platform) leaves the built-in menu and flag-only routing.
    """

    def __init__(self) -> None:
        self.ivr: Any = None
        self.queues: dict[str, Any] = {}
        self.levels: dict[str, dict[str, int]] = {}

    @classmethod
    def load(cls, *, ivr_name: str | None, warn: Callable[[str], None]) -> _StoredRouting:
        from agents.skills import agent_queue_levels_all
        from telephony.ivr.selectors import ivr_published
        from telephony.routing import queue_routing_map

        routing = cls()
        try:
            routing.ivr = ivr_published(name=ivr_name)
            routing.queues = queue_routing_map()
            routing.levels = agent_queue_levels_all()
        except DatabaseError as error:
            close_old_connections()
            warn(f"No routing from the database ({error}); using the built-in IVR and the flags only.")
            return cls()
        if ivr_name and routing.ivr is None:
            raise CommandError(f"--ivr {ivr_name!r}: there is no published IVR flow with that name")
        return routing

    def extra_queues(self, queues: list[str]) -> list[str]:
        """Queues the IVR can send calls to and those they overflow into, beyond --queues."""
        wanted = set(queues) | (queues_of(self.ivr.graph) if self.ivr else set())
        pending = list(wanted)
        while pending:
            overflow = self.queues.get(pending.pop())
            target = overflow.overflow if overflow and overflow.max_wait_s else None
            if target and target not in wanted:
                wanted.add(target)
                pending.append(target)
        return sorted(wanted - set(queues))


def _parse_start(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--start {text!r} is not an ISO 8601 time (2026-11-23T09:00:00Z)") from None
    # A time without an offset is taken as UTC, as the help says.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Command(BaseCommand):
    help = (
        "Simulate an ACD/SIP feed (Poisson arrivals, IVR, skills routing, holds, transfers, breaks, "
        "recordings, surveys) and send its events to the ingest API (--url, --token) or straight "
        "into the database (--direct). Prints the calls, answered, abandoned, ASA and service level."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--calls-per-hour",
            type=float,
            default=120.0,
            help="Mean arrivals per hour, per queue (default 120).",
        )
        parser.add_argument(
            "--aht", type=float, default=180.0, help="Mean handle time in seconds (default 180)."
        )
        parser.add_argument(
            "--patience",
            type=float,
            default=60.0,
            help="Mean caller patience in the queue, seconds; 0 = callers never abandon (default 60).",
        )
        parser.add_argument(
            "--agents",
            type=int,
            default=6,
            help=(
                "Simulated agents agent1..agentN, each with every queue (default 6). At --speed > 0, "
                "people logged in on the agent desktop take calls too; 0 = only they do."
            ),
        )
        parser.add_argument(
            "--duration", type=float, default=3600.0, help="Simulated seconds of arrivals (default 3600)."
        )
        parser.add_argument(
            "--speed",
            type=float,
            default=0.0,
            help="Simulated seconds per real second (1 = real time); 0 = as fast as possible (default).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="Random seed (default: a fresh one, printed); the same seed and --start repeat a run.",
        )
        parser.add_argument(
            "--queues",
            default=None,
            help=(
                "Comma-separated queues calls arrive for (--calls-per-hour each). Default: the queues the "
                "published IVR can send calls to, else sales,support."
            ),
        )
        parser.add_argument(
            "--skills",
            default="",
            help=(
                "Skills per simulated agent, e.g. 'agent1=sales:5,agent2=sales+support': calls go to the "
                "free agent with the queue's skill, highest level (1-5) first, then the longest idle. "
                "Agents not named have the skills configured for them (admin console → Skills), "
                "else every queue's."
            ),
        )
        parser.add_argument(
            "--ivr",
            default=None,
            help=(
                "Walk the published version of this IVR flow (default: the default flow's; the built-in "
                "two-level menu when none is published)."
            ),
        )
        parser.add_argument(
            "--ivr-mistakes",
            type=float,
            default=0.05,
            help=(
                "Share of a published flow's menus answered with a wrong key or nothing (then the menu's "
                "retries and fallbacks apply); default 0.05, 0 = callers always press a right key."
            ),
        )
        parser.add_argument(
            "--ignore-db",
            action="store_true",
            help="Route by the flags alone: built-in IVR, no queue settings or skills from the database.",
        )
        parser.add_argument("--url", help="The ingest API, e.g. http://127.0.0.1:8000/api/telephony/events.")
        parser.add_argument(
            "--token", help="The feed source's secret, sent as Authorization: Bearer <token>."
        )
        parser.add_argument("--direct", action="store_true", help="Ingest straight into the database.")
        parser.add_argument("--source", default="simulator", help="Feed source name (default simulator).")
        parser.add_argument(
            "--no-recordings",
            action="store_true",
            help="Emit no recording.ready events and write no WAV files.",
        )
        parser.add_argument(
            "--start", help="Simulated start time, ISO 8601 (no offset means UTC); default: now."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Events per delivery, 1-5000 (default 500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url, token, direct = options["url"], options["token"], options["direct"]
        if bool(url) == bool(direct):
            raise CommandError("Choose one destination: --url URL --token TOKEN, or --direct.")
        if url:
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise CommandError(f"--url {url!r} must be an http:// or https:// address")
            if not token:
                raise CommandError("--url needs --token (the feed source's secret).")
        source = options["source"]
        queues_given = options["queues"] is not None
        queues = [name.strip() for name in (options["queues"] or DEFAULT_QUEUES).split(",") if name.strip()]
        for name in [source, *queues]:
            if not SLUG.match(name) or len(name) > 64:
                raise CommandError(f"{name!r} is not a valid name: use up to 64 letters, digits, - and _")
        if not queues:
            raise CommandError("--queues needs at least one queue name")
        if options["agents"] < 0:
            raise CommandError("--agents must be 0 or more")
        if options["speed"] < 0:
            raise CommandError("--speed must be 0 (as fast as possible) or more")
        if not 1 <= options["batch_size"] <= 5000:
            raise CommandError("--batch-size must be between 1 and 5000")
        if not 0 <= options["ivr_mistakes"] <= 1:
            raise CommandError("--ivr-mistakes must be a fraction from 0 to 1")
        # The flags are checked before the database is read: --skills names --queues only.
        skills, flag_levels = _parse_skills(options["skills"], queues=queues, agents=options["agents"])
        stored = (
            _StoredRouting()
            if options["ignore_db"]
            else _StoredRouting.load(ivr_name=options["ivr"], warn=lambda text: self.stderr.write(text))
        )
        if stored.ivr and not queues_given:
            queues = sorted(queues_of(stored.ivr.graph)) or queues
        extra = stored.extra_queues(queues)
        levels = {**stored.levels, **flag_levels}
        start = _parse_start(options["start"])
        seed = options["seed"]
        if seed is None:
            seed = random.SystemRandom().randrange(1, 1_000_000)
        recordings = not options["no_recordings"]
        try:
            mistakes = options["ivr_mistakes"] if stored.ivr else 0.0
            config = config_simple(
                queues=queues,
                calls_per_hour=options["calls_per_hour"],
                agents=options["agents"],
                skills=skills,
                levels=levels,
                routing=stored.queues,
                extra_queues=extra,
                ivr_graph=stored.ivr.graph if stored.ivr else None,
                ivr_invalid_probability=mistakes * 0.6,
                ivr_timeout_probability=mistakes * 0.4,
                known_skills=stored.levels,
                start=start,
                aht_s=options["aht"],
                patience_s=options["patience"],
                duration_s=options["duration"],
                seed=seed,
                source=source,
                recordings=recordings,
                media_root=Path(settings.MEDIA_ROOT) if recordings else None,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self._announce(config)
        self.stdout.write(
            f"IVR: flow {stored.ivr.flow!r} version {stored.ivr.version} (published)."
            if stored.ivr
            else "IVR: the built-in two-level menu."
        )
        self.ivr_version = stored.ivr.version_id if stored.ivr else None
        self.ivr_name = options["ivr"]
        self.reload_ivr = not options["ignore_db"]
        deliver = _direct_deliverer(source) if direct else _http_deliverer(url, token)
        sender = _Sender(deliver=deliver, warn=lambda text: self.stderr.write(text))
        stats = FeedStats()
        self.heartbeat_off = False
        interrupted = False
        try:
            if options["speed"] > 0:
                warn = lambda text: self.stderr.write(text)  # noqa: E731 - a one-line callback
                commands = _direct_commands(source, warn) if direct else _http_commands(url, token, warn)
                self._pump_live(
                    config,
                    sender,
                    stats,
                    speed=options["speed"],
                    batch=options["batch_size"],
                    commands=commands,
                )
            else:
                self._pump(
                    simulate(config),
                    sender,
                    stats,
                    config=config,
                    speed=options["speed"],
                    batch=options["batch_size"],
                )
        except KeyboardInterrupt:
            interrupted = True
        self._summary(stats, sender, interrupted=interrupted)

    def _announce(self, config: SimConfig) -> None:
        start = config.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.stdout.write(
            f"Simulating {config.duration_s:g} s from {start}, seed {config.seed} "
            f"(repeat with --seed {config.seed} --start {start})."
        )
        traffic = sum(queue.calls_per_hour for queue in config.queues) * config.aht_s / 3600
        if traffic >= len(config.agents):
            self.stderr.write(
                f"Offered load {traffic:.1f} Erlangs is at least the {len(config.agents)} agents: "
                "queues will grow and callers abandon. Add --agents or lower --calls-per-hour "
                "for a steady center."
            )

    def _pump(
        self,
        events: Iterable[dict[str, Any]],
        sender: _Sender,
        stats: FeedStats,
        *,
        config: SimConfig,
        speed: float,
        batch: int,
    ) -> None:
        buffer: list[dict[str, Any]] = []
        first_buffered = 0.0
        began = time.monotonic()
        last_heartbeat = -HEARTBEAT_EVERY_S

        def flush() -> None:
            nonlocal buffer, last_heartbeat
            if buffer:
                pending, buffer = buffer, []
                sender.send(pending)
            now = time.monotonic()
            if now - last_heartbeat >= HEARTBEAT_EVERY_S:
                last_heartbeat = now
                self._heartbeat()

        try:
            for event in events:
                if speed > 0:
                    due = began + event_seconds(event, config.start.astimezone(UTC)) / speed
                    # Sleep until the event is due, waking to send a partial batch that has waited enough.
                    while (now := time.monotonic()) < due:
                        if buffer and now - first_buffered >= FLUSH_EVERY_S:
                            flush()
                            continue
                        wake = min(due, first_buffered + FLUSH_EVERY_S) if buffer else due
                        time.sleep(max(0.0, min(wake - now, FLUSH_EVERY_S)))
                if not buffer:
                    first_buffered = time.monotonic()
                buffer.append(event)
                stats.observe(event)
                if len(buffer) >= batch or (speed > 0 and time.monotonic() - first_buffered >= FLUSH_EVERY_S):
                    flush()
        finally:
            # Whatever has been generated is delivered, also on Ctrl-C: nothing is dropped.
            flush()

    def _pump_live(
        self,
        config: SimConfig,
        sender: _Sender,
        stats: FeedStats,
        *,
        speed: float,
        batch: int,
        commands: Commands,
    ) -> None:
        """Real-time run that also takes the agent desktop's commands: people logged in on the desktop
        become live agents, whom the engine rings and then waits for (answer, hold, hang up...)."""
        engine = simulation(config)
        buffer: list[dict[str, Any]] = []
        first_buffered = 0.0
        began = time.monotonic()
        next_poll = began
        last_heartbeat = -HEARTBEAT_EVERY_S

        def collect() -> None:
            nonlocal first_buffered
            for event in engine.flush():
                if not buffer:
                    first_buffered = time.monotonic()
                buffer.append(event)
                stats.observe(event)

        def flush() -> None:
            nonlocal buffer, last_heartbeat
            if buffer:
                pending, buffer = buffer, []
                sender.send(pending)
            now = time.monotonic()
            if now - last_heartbeat >= HEARTBEAT_EVERY_S:
                last_heartbeat = now
                self._heartbeat()

        engine.begin()
        collect()
        next_ivr_check = began + IVR_RELOAD_S
        try:
            while engine.heap or engine.live_busy():
                real_now = time.monotonic()
                sim_now = (real_now - began) * speed
                if self.reload_ivr and real_now >= next_ivr_check:
                    next_ivr_check = real_now + IVR_RELOAD_S
                    self._reload_ivr(engine)
                while (due := engine.next_at()) is not None and due <= sim_now:
                    engine.step()
                if real_now >= next_poll:
                    next_poll = real_now + COMMAND_POLL_S
                    for command in commands():
                        engine.now = max(engine.now, sim_now)
                        why = engine.command(
                            str(command.get("action", "")),
                            str(command.get("agent", "")),
                            str(command.get("call_id") or ""),
                            command.get("data") or {},
                        )
                        if why:
                            self.stderr.write(f"desktop command {command.get('action')} ignored: {why}")
                collect()
                if buffer and (len(buffer) >= batch or time.monotonic() - first_buffered >= FLUSH_EVERY_S):
                    flush()
                due = engine.next_at()
                wake = next_poll if due is None else min(next_poll, began + due / speed)
                if buffer:
                    wake = min(wake, first_buffered + FLUSH_EVERY_S)
                time.sleep(max(0.0, min(wake - time.monotonic(), FLUSH_EVERY_S)))
            engine.logout_all()
            collect()
        finally:
            flush()

    def _reload_ivr(self, engine: Any) -> None:
        """Pick up a newly published IVR version; calls already in the IVR finish the old one."""
        from telephony.ivr.selectors import ivr_published

        try:
            published = ivr_published(name=self.ivr_name)
        except DatabaseError:
            close_old_connections()
            return
        if published is None or published.version_id == self.ivr_version:
            return
        try:
            engine.ivr_use(published.graph)
        except ValueError as error:
            self.stderr.write(f"IVR version {published.version} not used: {error}")
        else:
            self.stdout.write(f"IVR: now walking flow {published.flow!r} version {published.version}.")
        self.ivr_version = published.version_id

    def _heartbeat(self) -> None:
        from callcenter.services import heartbeat_record

        if self.heartbeat_off:
            return
        try:
            heartbeat_record(component="simulator")
        except DatabaseError as error:
            # Posting to a remote API does not need this database: say so once and carry on without it.
            self.heartbeat_off = True
            self.stderr.write(f"No heartbeat will be recorded (database unavailable: {error}).")

    def _summary(self, stats: FeedStats, sender: _Sender, *, interrupted: bool) -> None:
        if interrupted:
            self.stdout.write("Interrupted: the events generated so far were delivered.")
        for line in stats.lines():
            self.stdout.write(line)
        self.stdout.write(
            f"sent: {sender.sent}  accepted: {sender.accepted}  duplicates: {sender.duplicates}  "
            f"rejected: {sender.rejected}"
        )

"""Many pipelines at once against one moto_server: deploys, cutovers and cleanups interleaved.

Each app starts with a live version and two old ones. Then several pipelines per app each deploy
their own version (free rule priority from the lookup's read, then the version stack), verify it
and cut over to it, all at the same moment, while a cleanup loop per app deletes what is neither
live, previous, nor among the newest ``versions_per_app`` (as a pipeline would set ``keep_last``
to cover the deploys that may be in flight), then one cleanup round per app once the pipelines are
done (what the concurrent rounds delete depends on timing; after the last cutover the old versions
fall out of the newest). Once all of an app's pipelines have verified their versions, and before
any cuts over, a cleanup with default settings runs: ``v0`` is still live and older than every
version in flight, so only cleanup's live-version guards keep it (that round reaches the live
version). Afterwards: no two rules share a priority, every deploy succeeded, and every app's live
version exists and is healthy. Used by ``tests/e2e/test_concurrency.py`` and printed by ``make bench``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import boto3

from emulator.ecs_agent import EcsAgent
from emulator.server import REGION
from emulator.world import NAMESPACE, ExampleWorld
from stacker_ecs.core.aws import AwsContext, context_for
from stacker_ecs.core.errors import StackerEcsError
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.health import read_target_health
from stacker_ecs.core.ops.listener import read_listener
from stacker_ecs.core.ops.lookups import RulePriorityQuery, find_rule_priority
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from stacker_ecs.core.ops.version_target import describe_version


@dataclass
class Outcome:
    """What happened, counted."""

    deploys: int = 0
    failed_deploys: list[str] = field(default_factory=list)
    cutovers: int = 0
    """Cutovers that reported success."""
    cutovers_refused: list[str] = field(default_factory=list)
    cleanups: int = 0
    """Cleanup runs that finished (returned a result)."""
    failed_cleanups: list[str] = field(default_factory=list)
    live_reached: list[str] = field(default_factory=list)
    """``app/version`` of each live version a cleanup planned around (kept as live, or skipped as live)."""
    deleted: list[str] = field(default_factory=list)
    """``app/version`` of every version a cleanup reported deleted."""
    priority_collisions: int = 0
    live_versions_lost: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """Return the figures, one per line."""
        return "\n".join([
            f"deploys: {self.deploys}, failed: {len(self.failed_deploys)} {self.failed_deploys or ''}".rstrip(),
            f"cutovers: {self.cutovers} done, {len(self.cutovers_refused)} refused {self.cutovers_refused or ''}",
            f"cleanups finished: {self.cleanups}, failed: {len(self.failed_cleanups)} "
            f"{self.failed_cleanups or ''}".rstrip(),
            f"version stacks deleted: {len(self.deleted)}, live versions cleanup planned around: "
            f"{len(self.live_reached)}",
            f"rule-priority collisions: {self.priority_collisions}",
            f"live versions lost: {len(self.live_versions_lost)} {self.live_versions_lost or ''}".rstrip(),
            f"wall time: {self.seconds:.1f}s",
        ])


def run(apps: int = 5, versions_per_app: int = 4, cleanup_rounds: int = 2) -> Outcome:
    """Run the scenario against the moto_server the environment points at (AWS_ENDPOINT_URL)."""
    setup = boto3.Session(region_name=REGION)
    world = ExampleWorld.create(setup)
    names = [f"app{i}" for i in range(1, apps + 1)]
    agent = EcsAgent(boto3.Session(region_name=REGION))
    outcome = Outcome()
    lock = threading.Lock()
    with agent.running(interval_seconds=0.2):
        for app in names:
            world.add_app(app)
            for version in ("old1", "old2", "v0"):
                world.add_version(version, app=app)
        for app in names:
            verify = VerifyHealthArgs(app=app, version="v0", namespace=NAMESPACE, timeout_seconds=60)
            verify_health(context_for(setup, verify), verify)
            cut = CutoverArgs(app=app, version="v0", namespace=NAMESPACE, timeout_seconds=60)
            cutover(context_for(setup, cut), cut)
        started = time.monotonic()
        verified = {app: threading.Barrier(versions_per_app, action=_cleanup_with_live_reachable(app, outcome, lock),
                                           timeout=300) for app in names}
        jobs = [(pipeline, app, f"v{n}") for app in names for n in range(1, versions_per_app + 1)]
        jobs += [(cleanup_loop, app, f"{cleanup_rounds}:{versions_per_app}") for app in names]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            for future in [pool.submit(job, world, app, arg, outcome, lock, verified[app]) for job, app, arg in jobs]:
                future.result()
        outcome.seconds = time.monotonic() - started
        for app in names:  # once the pipelines are done, one more round: the old versions are surely deleted now
            cleanup_loop(world, app, f"1:{versions_per_app}", outcome, lock)
    _check(setup, names, outcome)
    return outcome


def _cleanup_with_live_reachable(app: str, outcome: Outcome, lock: threading.Lock) -> Callable[[], None]:
    """Return one cleanup round with default settings, run when ``app``'s pipelines have all verified."""

    def run_round() -> None:
        args = CleanupArgs(app=app, namespace=NAMESPACE)
        live = "v0"  # no pipeline has cut over yet: each waits at the barrier this round runs in
        try:
            result = cleanup(context_for(boto3.Session(region_name=REGION), args), args)
        except StackerEcsError as exc:  # recorded, not raised: a raise here would only break the barrier
            with lock:
                outcome.failed_cleanups.append(f"{app}: {exc}")
            return
        with lock:
            outcome.cleanups += 1
            outcome.deleted += [f"{app}/{version}" for version in result["deleted"]]
            if result["kept"].get(live) == "live" or live in result["skipped"]:
                outcome.live_reached.append(f"{app}/{live}")

    return run_round


def pipeline(world: ExampleWorld, app: str, version: str, outcome: Outcome, lock: threading.Lock,
             verified: threading.Barrier) -> None:
    """Deploy, verify and cut over one version, as one CI pipeline would (after the app's others verified)."""
    session = boto3.Session(region_name=REGION)
    mine = ExampleWorld(session=session, namespace=world.namespace, seeded=world.seeded,
                        cluster=world.cluster, apps=world.apps)
    query = RulePriorityQuery(app=app, namespace=NAMESPACE, version=version)
    try:
        mine.add_version(version, app=app, priority=find_rule_priority(context_for(session, query), query))
        verify = VerifyHealthArgs(app=app, version=version, namespace=NAMESPACE, timeout_seconds=60)
        verify_health(context_for(session, verify), verify)
    except Exception as exc:
        with lock:
            outcome.deploys += 1
            outcome.failed_deploys.append(f"{app}/{version}: {exc}")
        verified.wait()
        return
    with lock:
        outcome.deploys += 1
    verified.wait()
    cut = CutoverArgs(app=app, version=version, namespace=NAMESPACE, timeout_seconds=30)
    try:
        cutover(context_for(session, cut), cut)
    except StackerEcsError as exc:
        with lock:
            outcome.cutovers_refused.append(f"{app}/{version}: {str(exc).splitlines()[0]}")
        return
    with lock:
        outcome.cutovers += 1


def cleanup_loop(_: ExampleWorld, app: str, settings: str, outcome: Outcome, lock: threading.Lock,
                 __: threading.Barrier | None = None) -> None:
    """Clean the app up a few times (``rounds:keep_last``) while its pipelines run."""
    session = boto3.Session(region_name=REGION)
    rounds, keep_last = (int(n) for n in settings.split(":"))
    for _round in range(rounds):
        args = CleanupArgs(app=app, namespace=NAMESPACE, keep_last=keep_last)
        result = cleanup(context_for(session, args), args)
        with lock:
            outcome.cleanups += 1
            outcome.deleted += [f"{app}/{version}" for version in result["deleted"]]
        time.sleep(0.3)


def _check(session: boto3.Session, apps: list[str], outcome: Outcome) -> None:
    aws = AwsContext.create(session)
    for app in apps:
        state = read_listener(aws, NAMESPACE, app)
        taken = Counter(rule.priority for rule in state.rules.values())
        outcome.priority_collisions += sum(n - 1 for n in taken.values() if n > 1)
        live = state.live_version
        try:
            target = describe_version(aws, NAMESPACE, app, live or "")
            healthy = read_target_health(aws, target).healthy
        except (StackerEcsError, ValueError):
            healthy = 0
        if not live or healthy < 1:
            outcome.live_versions_lost.append(f"{app}: live {live!r}, {healthy} healthy targets")

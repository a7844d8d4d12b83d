"""`make bench` (``python -m scripts.bench`` from the repo root):

The start-up time of ``stacker-ecs`` commands beside ``import boto3`` (:mod:`scripts.startup`), then
AWS calls and wall time of every read and operation, in emulated worlds of several sizes, including
one canary step judged by metrics (its ``GetMetricData`` reads must not grow with the versions).

Calls are counted with botocore's ``before-call`` event (one per API call, deterministic); wall
times are printed for information only. Worlds: 1, 50 and 500 unrelated stacks in the account, and
an app with 12 and with 45 version stacks (45 is near the most an app can have: two rules per version
and the live rule within the load balancer's 100). The ECS agent starts tasks as soon as a service asks for
them, so scaling costs no waiting; the two timing scenarios use a simulated clock instead. Last, two
deploys through the real stacker CLI (run in this process, so every session's calls are counted)
against the emulator's server.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from emulator import aws_like
from emulator.calls import CallCounter, EveryCall
from emulator.clock import FakeTime
from emulator.ecs_agent import EcsAgent
from emulator.seed import seed
from emulator.server import CLIENT_ENV, REGION, client_env, moto_server
from emulator.traffic import Traffic
from emulator.world import NAMESPACE, ExampleWorld
from scripts import startup
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.ops import lookups
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.diagnose import DiagnoseArgs, diagnose
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from tests.e2e import scenario

BARS = {
    "find the live version": ("2V+4", 2),
    "live desired count": ("5", 3),
    # the count the stack was deployed with (its DesiredCount output); 3 for a stack from an earlier release
    "version desired count (a re-run)": ("", 1),
    "free rule priority": ("2 (racy)", 2),
    "cutover, scaling 1 -> 2 tasks": ("12", 6),
    # no account-wide scan: 1 tagging call + 1 read per version stack + 3 per deleted version + 2
    "cleanup of 10 non-live of 12": ("95", 45),
    # the checklist: stacks, events, service, tasks, cluster, target group, logs, metrics (one call)
    "diagnose web v1 (a named version)": ("", 22),
}
CONFIG = ["config/dev.env", "config/stacker-Dev.yml"]
ROOT = Path(__file__).resolve().parent.parent


def measure(counter: CallCounter, operation: Callable[[], Any]) -> tuple[int, int, float, Any]:
    """Return (AWS calls, of which books: coordination table, events, dashboard, protection; ms, result)."""
    counter.reset()
    started = time.perf_counter()
    result = operation()
    books = counter.coordination() + counter.dashboard() + counter.calls["cloudformation.UpdateTerminationProtection"]
    return counter.total, books, (time.perf_counter() - started) * 1000, result


def build_world(session: boto3.Session, versions: int, filler: int) -> tuple[ExampleWorld, EcsAgent]:
    """Return a world with ``versions`` of app web (the last one live, the one before previous)."""
    world = ExampleWorld.create(session)
    world.add_filler_stacks(filler)
    world.add_app("web")
    agent = EcsAgent(boto3.Session(region_name=REGION))
    for index in range(1, versions + 1):
        world.add_version(f"v{index}")
    agent.sync()
    for index in (versions - 1, versions):
        cutover(AwsContext.create(session), CutoverArgs(app="web", version=f"v{index}", namespace=NAMESPACE))
    ecs = session.client("ecs")
    ecs.update_service(cluster=world.cluster["ClusterName"], service=naming.service_name("web", f"v{versions}"),
                       desiredCount=2)
    agent.sync()
    agent.follow(session)
    return world, agent


def run_world(versions: int, filler: int) -> list[tuple[str, int, int, float]]:
    """Measure every read and operation in one world."""
    rows = []
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        world, agent = build_world(session, versions, filler)
        counter = CallCounter(session)
        calls, books, ms, live = measure(counter, lambda: lookups.find_live_version(
            AwsContext.create(session), lookups.LiveVersionQuery(app="web", namespace=NAMESPACE)))
        if live != f"v{versions}":
            raise SystemExit(f"bench: expected v{versions} live, found {live}")
        rows.append(("find the live version", calls, books, ms))
        calls, books, ms, count = measure(counter, lambda: lookups.find_live_desired_count(
            AwsContext.create(session), lookups.LiveDesiredCountQuery(app="web", namespace=NAMESPACE)))
        rows.append(("live desired count", calls, books, ms))
        calls, books, ms, _ = measure(counter, lambda: lookups.find_version_desired_count(
            AwsContext.create(session), lookups.VersionQuery(app="web", namespace=NAMESPACE, version="v1")))
        rows.append(("version desired count (a re-run)", calls, books, ms))
        calls, books, ms, _ = measure(counter, lambda: lookups.find_rule_priority(
            AwsContext.create(session), lookups.RulePriorityQuery(app="web", namespace=NAMESPACE, version="new")))
        rows.append(("free rule priority", calls, books, ms))
        calls, books, ms, _ = measure(counter, lambda: diagnose(
            AwsContext.create(session), DiagnoseArgs(app="web", version="v1", namespace=NAMESPACE)))
        rows.append(("diagnose web v1 (a named version)", calls, books, ms))
        calls, books, ms, _ = measure(counter, lambda: diagnose(
            AwsContext.create(session), DiagnoseArgs(app="web", namespace=NAMESPACE)))
        rows.append(("diagnose web (+1 +1 per version)", calls, books, ms))
        if versions == 12:
            calls, books, ms, result = measure(counter, lambda: cleanup(
                AwsContext.create(session), CleanupArgs(app="web", namespace=NAMESPACE, keep_previous=True)))
            name = f"cleanup of {len(result['deleted'])} non-live of {versions}"
            rows.append((name, calls, books, ms))
        world.add_version("next", desired_count=1)
        calls, books, ms, result = measure(counter, lambda: cutover(
            AwsContext.create(session), CutoverArgs(app="web", version="next", namespace=NAMESPACE)))
        if not result["changed"] or result["desired_count"] != count:
            raise SystemExit(f"bench: the cutover did not scale to the live count: {result}")
        rows.append(("cutover, scaling 1 -> 2 tasks", calls, books, ms))
        rows.append(analysed_canary_step(session, world, agent, counter))
    return rows


def analysed_canary_step(session: boto3.Session, world: ExampleWorld, agent: EcsAgent,
                         counter: CallCounter) -> tuple[str, int, int, float]:
    """Measure a canary of one step (10 %, two metric checks, the app's users passing), then the switch."""
    world.add_version("canary", desired_count=2)
    fake_time = FakeTime(agent)
    users = Traffic(boto3.Session(region_name=REGION), world.apps["web"][contract.LISTENER_ARN],
                    requests_per_minute=600)
    users.attach(fake_time)
    args = CutoverArgs(app="web", version="canary", namespace=NAMESPACE, steps_percent=[10], bake_seconds=300,
                       min_requests=20, metric_checks=["5xx_percent <= 1", "p99_ms <= 1.5x stable"])
    calls, books, ms, result = measure(counter, lambda: cutover(AwsContext.create(session, clock=fake_time.clock),
                                                                args))
    if not result["changed"] or len(result.get("analysis", [])) != 1:
        raise SystemExit(f"bench: the analysed canary did not go live after one judged step: {result}")
    reads = counter.calls["cloudwatch.GetMetricData"]
    return (f"canary 10 %, judged ({reads} GetMetricData)", calls, books, ms)


def health_latency(broken: bool) -> float:
    """Return how late (simulated seconds) verify_health notices healthy targets, or a failure's cause."""
    happens_at = 20.0 if not broken else 30.0
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        world = ExampleWorld.create(session)
        world.add_app("web")
        world.add_version("v1")
        agent = EcsAgent(boto3.Session(region_name=REGION),
                         broken={naming.service_name("web", "v1")} if broken else set())
        fake_time = FakeTime(agent, agent_after_seconds=happens_at)
        args = VerifyHealthArgs(app="web", version="v1", namespace=NAMESPACE, timeout_seconds=900)
        try:
            verify_health(AwsContext.create(session, clock=fake_time.clock), args)
        except Exception:
            if not broken:
                raise
        return fake_time.waited - happens_at


def stacker_build(world: dict[str, str], *settings: str) -> tuple[int, float, int]:
    """Run ``stacker build`` of the example config in this process; return (calls, seconds, exit status).

    With an ``app=`` setting it is that app's pipeline (``--targets pipeline``), else the platform's plain build.
    """
    from stacker.commands import Stacker

    pipeline = ["--targets", "pipeline"] if any(s.startswith("app=") for s in settings) else []
    argv = ["build", "-r", REGION, *[a for k, v in world.items() for a in ("-e", f"{k}={v}")],
            *[a for setting in settings for a in ("-e", setting)], *pipeline, *CONFIG]
    cwd = Path.cwd()
    os.chdir(ROOT)
    started = time.perf_counter()
    try:
        with EveryCall() as calls:
            command = Stacker()
            args = command.parse_args(argv)
            command.configure(args)
            status = 0
            try:
                args.run(args)
            except SystemExit as exc:
                status = int(exc.code or 0)
    finally:
        os.chdir(cwd)
    return calls.total, time.perf_counter() - started, status


STACKER_BUILDS = (
    ("plain build: cluster and 2 app stacks", ()),
    ("web's pipeline: v1, verified, cut over", ("app=web", "version=v1", "deploy=true", "verify=true", "cutover=true")),
    ("web's pipeline: v2 beside v1, verified", ("app=web", "version=v2", "deploy=true", "verify=true")),
    ("web's pipeline: v2 again (no change)", ("app=web", "version=v2", "deploy=true")),
    ("plain build again (no change)", ()),
)


def stacker_deploys() -> None:
    """Print calls and wall time of the platform's plain builds and web's pipeline builds, through stacker."""
    with moto_server() as url:
        os.environ.update(client_env(url))
        world = seed(boto3.Session(region_name=REGION)).as_env()
        with EcsAgent(boto3.Session(region_name=REGION)).running(interval_seconds=0.2):
            for label, settings in STACKER_BUILDS:
                calls, seconds, status = stacker_build(world, *settings)
                print(f"stacker build: {label:<40}{calls:>6} calls {seconds:>7.1f} s  exit {status}")
                if status:
                    raise SystemExit(f"bench: stacker build '{label}' failed (exit {status}); see its message above")


def main() -> None:
    """Print the figures."""
    aws_like.apply()  # in-process moto fails where AWS fails, as the server does
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore")
    for key, value in CLIENT_ENV.items():
        os.environ.setdefault(key, value)
    print(startup.report())
    print()
    print("calls: every AWS call; books: how many of them went to the coordination table (lease, canary plan, live")
    print("record, history), the operation's events, the app's dashboard, and termination protection (one call per")
    print("version a traffic change protects or releases); the bar is for the other calls")
    print(f"{'world':<28}{'operation':<34}{'calls':>6}{'books':>6}{'ms':>9}   {'seed':>9}{'bar':>6}")
    for versions, filler in ((12, 1), (12, 50), (12, 500), (45, 1), (45, 50), (45, 500)):
        label = f"{versions} versions, {filler} stacks"
        for name, calls, books, ms in run_world(versions, filler):
            seed, bar = BARS.get(name, ("", ""))
            flag = "" if bar == "" or calls - books <= bar else "  OVER"
            print(f"{label:<28}{name:<34}{calls:>6}{books:>6}{ms:>9.1f}   {seed:>9}{bar!s:>6}{flag}")
    print()
    print(f"targets turn healthy 20 s after deploy: verify_health notices {health_latency(False):.2f} s later "
          "(seed: 11.7 s; bar: <= 2 s)")
    print(f"tasks can never start (ECS reports the cause at 30 s): failure reported {health_latency(True):.2f} s "
          "later, with the cause (seed: after 588 s, without it; bar: <= 5 s)")
    print()
    print("deploys through the real stacker CLI against the emulator's server (stack polls every 1 s):")
    stacker_deploys()
    print()
    print("20 deploys across 5 apps at once against one moto server, cutovers and cleanups interleaved:")
    with moto_server() as url:
        os.environ.update(client_env(url))  # the in-process worlds above are done: no mock_aws after this
        print(scenario.run().summary())

if __name__ == "__main__":
    main()

"""Run moto's server on a free 127.0.0.1 port, stopped again by its own PID.

The server is moto's own application, started by :mod:`emulator.serve` so that it answers one
request at a time (see there why); it is otherwise exactly what ``moto_server`` runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3

REGION = "us-east-1"
CLIENT_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "STACKER_STACK_POLL_TIME": "0",
}


def free_port() -> int:
    """Return a TCP port nobody listens on at 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_pid_file(pid_file: Path) -> None:
    """Stop a server left running by an interrupted run (its PID is in ``pid_file``)."""
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except (ValueError, ProcessLookupError, PermissionError):
        pass
    pid_file.unlink(missing_ok=True)


@contextlib.contextmanager
def moto_server(pid_file: Path | None = None, extra_env: dict[str, str] | None = None, *,
                iam: bool = False) -> Iterator[str]:
    """Start moto's server on 127.0.0.1, yield its URL, and stop it by PID afterwards.

    ``iam``: the server records each request and moto's IAM decision (:mod:`emulator.iam`).
    """
    if pid_file:
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        stop_pid_file(pid_file)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **CLIENT_ENV, **(extra_env or {})}
    process = subprocess.Popen(  # noqa: S603 - moto's server from our own venv, on loopback
        [sys.executable, "-m", "emulator.serve", "-H", "127.0.0.1", "-p", str(port), *(["--iam"] if iam else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        cwd=Path(__file__).resolve().parent.parent,  # the repo root, where `emulator` is importable
    )
    if pid_file:
        pid_file.write_text(str(process.pid))
    try:
        _wait_until_ready(url, process)
        warm_up(url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if pid_file:
            pid_file.unlink(missing_ok=True)


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout_seconds: float = 30) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the moto server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the moto server did not answer on {url} within {timeout_seconds}s")


def warm_up(url: str) -> None:
    """Load every backend the suite uses before anyone else calls the server.

    moto_server imports a service's code on its first request (CloudFormation's takes about
    1.5 s and imports some 40 modules). Two first requests at once, say the ECS agent's and
    stacker's, race that import and one of them can fail; one warm-up call each avoids that.
    """
    session = boto3.Session(region_name=REGION, aws_access_key_id=CLIENT_ENV["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CLIENT_ENV["AWS_SECRET_ACCESS_KEY"])
    for service, call in (("cloudformation", "list_stacks"), ("ecs", "list_clusters"),
                          ("elbv2", "describe_load_balancers"), ("ec2", "describe_vpcs"),
                          ("acm", "list_certificates"), ("route53", "list_hosted_zones"),
                          ("ssm", "describe_parameters"), ("application-autoscaling", None),
                          ("iam", "list_roles"), ("logs", "describe_log_groups")):
        client = session.client(service, endpoint_url=url)
        if call:
            getattr(client, call)()
        else:
            client.describe_scalable_targets(ServiceNamespace="ecs")
    cfn = session.client("cloudformation", endpoint_url=url)
    cfn.create_stack(StackName="emulator-warm-up", TemplateBody=WARM_UP_TEMPLATE)
    cfn.delete_stack(StackName="emulator-warm-up")


WARM_UP_TEMPLATE = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'


def client_env(url: str) -> dict[str, str]:
    """Return the environment a client (boto3, the stacker CLI) needs to talk to the server."""
    return {**CLIENT_ENV, "AWS_ENDPOINT_URL": url}

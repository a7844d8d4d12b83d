"""moto's server (what ``moto_server`` runs), serving one request at a time.

``moto_server`` serves each request in its own thread, but moto's backends are plain dicts without
locks: two requests at once (stacker creating a stack while the ECS agent lists stacks, twenty
pipelines deploying together) can fail with HTTP 500 ("dictionary changed size during
iteration"). Real AWS has no such limit, so the emulator serialises requests instead of the
suite working around it. It also fails where AWS fails (:mod:`emulator.aws_like`).
``POST /moto-api/reset`` (moto's reset of every backend) also forgets what the emulator holds beside
moto's backends (targets' health, lowered quotas), so one server can serve test after test.
Usage (from the repo root): ``python -m emulator.serve -H 127.0.0.1 -p PORT [--iam]``; ``--iam`` records
every request and moto's IAM decision on it (:mod:`emulator.iam`, which also switches enforcement on).
"""

from __future__ import annotations

import argparse
import signal
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

from emulator import aws_like, control, iam, json_templates, shared_models
from emulator.aws_like import quotas
from stacker_ecs.process_exit import exit_without_teardown

RESET = "/moto-api/reset"


def _resetting(app: Any) -> Any:
    """Return ``app`` with the emulator's own state cleared at every ``POST /moto-api/reset``."""

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == RESET and environ.get("REQUEST_METHOD") == "POST":
            control.TARGET_HEALTH.clear()
            quotas.reset()
        return app(environ, start_response)
    return application


def main() -> None:
    """Serve moto on the given loopback address until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--iam", action="store_true",
                        help="record each request and moto's IAM decision on it (GET /emulator-iam/requests)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: exit_without_teardown(0))  # its state is in memory: nothing to save
    aws_like.apply()
    json_templates.apply()
    shared_models.apply()
    app = _resetting(control.wrap(DomainDispatcherApplication(create_backend_app)))
    if args.iam:
        app = iam.wrap(app)
    run_simple(args.host, args.port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

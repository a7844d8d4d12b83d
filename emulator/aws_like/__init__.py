"""Make moto fail where AWS fails, where the live site depends on it (see docs/fidelity.md).

moto 5.2.5 accepts what AWS refuses and forgets what AWS cleans up. Each module here changes one
behaviour, names its AWS source, and has its own test (``tests/emulator``). :func:`apply` installs
them all in this process: the suite's ``conftest.py`` for in-process ``mock_aws``, and
``emulator/serve.py`` for the emulator's server. Upgrading moto means re-running those tests;
dropping a workaround moto no longer needs means deleting its module and its line below.
"""

from __future__ import annotations

from emulator.aws_like import (
    certificates,
    change_sets,
    circuit_breaker,
    cluster_delete,
    listener_actions,
    load_balancer_attributes,
    metric_percentiles,
    quotas,
    route53_records,
    scalable_targets,
    security_groups,
    stack_create,
    stack_delete,
    stack_update,
    termination,
)

PATCHES = (stack_create, stack_delete, stack_update, listener_actions, route53_records, circuit_breaker,
           change_sets, metric_percentiles, termination, certificates, quotas, scalable_targets, cluster_delete,
           security_groups, load_balancer_attributes)


def apply() -> None:
    """Install every behaviour (idempotent)."""
    for patch in PATCHES:
        patch.apply()

"""An application stack's load balancer outputs resolve as on AWS (``emulator.aws_like.load_balancer_attributes``;
fails on plain moto 5.2.5: ``-p emulator.plain_moto``)."""

from __future__ import annotations

import boto3

from emulator.world import ExampleWorld
from stacker_ecs.core import contract


def test_the_application_stack_outputs_its_load_balancers_hosted_zone_for_alias_records(session: boto3.Session):
    world = ExampleWorld.create(session)
    outputs = world.add_app("web")
    (balancer,) = session.client("elbv2").describe_load_balancers(
        LoadBalancerArns=[outputs[contract.LOAD_BALANCER_ARN]])["LoadBalancers"]
    assert outputs[contract.LOAD_BALANCER_HOSTED_ZONE_ID] == balancer["CanonicalHostedZoneId"]
    assert outputs[contract.LOAD_BALANCER_DNS_NAME] == balancer["DNSName"]

"""moto reads a JSON template with ``json`` and anything else with its own YAML read (``emulator.json_templates``)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from moto.cloudformation import models, utils

from emulator import json_templates

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "templates").glob("*.json"))


def moto_yaml_read(body: str) -> object:
    """Return what moto 5.2.5 reads from ``body`` on its own: PyYAML, with its tag constructor."""
    yaml.add_multi_constructor("", utils.yaml_tag_constructor)
    return yaml.load(body, Loader=yaml.Loader)  # noqa: S506 - moto's call, compared against


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_each_example_template_reads_as_the_same_mapping_as_through_yaml(path: Path):
    body = path.read_text()

    assert isinstance(models.yaml, json_templates._JsonFirst), "installed by the suite's conftest"
    assert models.Stack.parse_template(body) == moto_yaml_read(body)


def test_a_number_in_exponent_form_is_a_number_as_cloudformation_reads_json():
    assert models.Stack.parse_template('{"Parameters": {"P": {"Default": 1e3}}}') == {
        "Parameters": {"P": {"Default": 1000.0}}}


def test_a_yaml_template_is_still_read_by_yaml_with_its_short_tags(session: boto3.Session):
    body = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n  TopicArn:\n    Value: !Ref Topic\n"
    cfn = session.client("cloudformation")

    cfn.create_stack(StackName="yaml", TemplateBody=body)

    (output,) = cfn.describe_stacks(StackName="yaml")["Stacks"][0]["Outputs"]
    assert output["OutputKey"] == "TopicArn"
    assert output["OutputValue"].startswith("arn:aws:sns:us-east-1:")

"""Small pieces every builder uses: tags, outputs with exports, input coercion."""

from __future__ import annotations

from typing import Any

from troposphere import AWSObject, Export, Output, Sub, Tags, Template

from stacker_ecs.core import contract, naming


def base_tags(environment: str, app: str | None = None, version: str | None = None,
              extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return the tags that name environment, app and version (plus the user's own)."""
    tags = {contract.TAG_ENVIRONMENT: environment}
    if app:
        tags[contract.TAG_APP] = app
    if version:
        tags[contract.TAG_VERSION] = version
    tags.update(extra or {})
    return tags


def tags(values: dict[str, str]) -> Tags:
    """Return troposphere ``Tags`` in a stable (sorted) order."""
    return Tags(**dict(sorted(values.items())))


def add_output(template: Template, name: str, value: Any, description: str) -> None:
    """Add an output exported as ``<stack name>-<name>`` (see :func:`naming.export_name`)."""
    template.add_output(Output(
        name,
        Description=description,
        Value=value,
        Export=Export(Sub(naming.export_name("${AWS::StackName}", name))),
    ))


def skip_checks(resource: AWSObject, reasons: dict[str, str]) -> AWSObject:
    """Record in the resource's metadata which checkov checks cannot apply, and why."""
    if reasons:
        metadata = dict(getattr(resource, "Metadata", None) or {})
        metadata["checkov"] = {"skip": [{"id": check, "comment": why} for check, why in sorted(reasons.items())]}
        resource.Metadata = metadata
    return resource


def split_list(value: Any) -> Any:
    """Accept ``"a,b"`` (as ``${output ...}`` returns lists) as well as ``[a, b]``."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value

"""The base of every input model, and the one translation of pydantic errors into ours."""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import textwrap
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_pascal

from stacker_ecs.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class Spec(BaseModel):
    """Blueprint settings: PascalCase names (as in blueprint variables), typos are errors.

    Here and in :class:`Args`, fields' docstrings are read on demand (:func:`field_docs`), not by
    pydantic's ``use_attribute_docstrings``, which searches every module's path at each class's
    creation and was most of a ``stacker-ecs`` command's start-up.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_pascal,
        populate_by_name=True,
    )


class Args(BaseModel):
    """Hook, lookup and CLI arguments: snake_case names, typos are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Return field -> its description: ``Field(description=...)``, else the docstring under its annotation."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not isinstance(cls, type) or not issubclass(cls, BaseModel) or cls is BaseModel:
            continue
        try:
            body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body  # type: ignore[attr-defined]
        except (OSError, TypeError):  # no source (a class made at run time)
            continue
        for node, after in itertools.pairwise(body):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                docs[node.target.id] = inspect.cleandoc(after.value.value)
    return {name: field.description or docs.get(name, "") for name, field in model.model_fields.items()}


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    return ".".join(parts)


def describe_error(error: dict[str, Any], known: list[str], retired: dict[str, str] | None = None) -> str:
    """Return one ``field: what is wrong; how to fix it`` line for a pydantic error.

    ``retired``: names an earlier release took -> what to do instead (said in place of "unknown name")."""
    where = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden" and where in (retired or {}):
        return f"{where}: no longer taken; {(retired or {})[where]}"
    if kind == "extra_forbidden":
        return f"{where}: unknown name; check the spelling or remove it (known: {', '.join(known)})"
    if kind == "missing":
        return f"{where}: required but not given; set it"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind.startswith(("value_error", "assertion_error")):
        return f"{where}: {message}" if where else message
    message = message.replace("Input should be", "it should be", 1)
    return f"{where}: {error.get('input')!r} is not accepted; {message}"


def parse(model: type[M], data: Any, *, where: str) -> M:
    """Validate ``data`` into ``model`` or raise one :class:`ConfigError` listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        known = sorted(
            (field.alias or name) for name, field in model.model_fields.items()
        )
        retired = getattr(model, "RETIRED", {})
        raise ConfigError([describe_error(e, known, retired) for e in exc.errors()], where=where) from None


class LeaseArgs(Args):
    """Arguments of an operation that holds the app's lease (:mod:`stacker_ecs.core.coordination`)."""

    lease_wait_seconds: float = Field(default=120, ge=0)
    """Default: 120; how long to wait for another operation on the app to finish before failing, naming it."""
    dashboard: bool = True
    """Default: on; an operation that moves traffic (cutover, each canary step, promote, abort, rollback) or deletes
    versions (cleanup) rewrites the app's CloudWatch dashboard (``<namespace>-<app>``) for the versions in play
    (a failure to write it is logged, never fatal). Off: no dashboard is written. Teardown deletes it either way."""

"""Checks shared by blueprint, hook and lookup inputs; messages say what to change."""

from __future__ import annotations

from stacker_ecs.core import naming


def check_name(field: str, value: str) -> str:
    """Return ``value`` if it can be an app name, else raise a ``ValueError`` saying why."""
    return _check(field, value, digit_start=False)


def check_version(value: str) -> str:
    """Return ``value`` if it can be a version (in stack, service and host names)."""
    return _check("version", value, digit_start=True)


def _check(field: str, value: str, *, digit_start: bool) -> str:
    """Check the naming rules one at a time (characters, first and last character, no '--', length),
    so the message names the one broken and how to fix it."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field} must be a non-empty string; got {value!r}")
    bad = sorted({c for c in value if not (c.isascii() and (c.islower() or c.isdigit() or c == "-"))})
    if bad:
        shown = "".join(bad)
        raise ValueError(f"{value!r} has {shown!r}, which is not allowed in stack and host names; "
                         "use lower-case letters, digits and '-'")
    if not (value[0].isalpha() or (digit_start and value[0].isdigit())):
        first = "a letter or digit" if digit_start else "a letter"
        raise ValueError(f"{value!r} starts with {value[0]!r}; start it with {first}")
    if value.endswith("-"):
        raise ValueError(f"{value!r} ends with '-'; end it with a letter or digit")
    if naming.FORBIDDEN in value:
        raise ValueError(f"{value!r} contains '--', which AWS refuses in the load balancer and target "
                         "group names derived from it; use single '-'")
    if len(value) > 40:
        raise ValueError(f"{value!r} is {len(value)} characters long; use at most 40 so stack, service "
                         "and host names stay within AWS limits")
    return value

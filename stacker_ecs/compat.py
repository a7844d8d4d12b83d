"""Make the published stacker 1.7.2 run on Python 3.11, without editing installed files.

Loaded at interpreter start by ``stacker_ecs_py311.pth`` (installed into site-packages by
``setup.py``). It restores exactly what stacker 1.7.2 still uses and newer Pythons and libraries
removed:

- ``collections.Mapping`` and friends (moved to ``collections.abc`` in 3.3, removed in 3.10):
  used by ``stacker/commands/stacker/base.py`` at import, ``hooks/utils.py`` and ``context.py``
  when a hook returns data, ``lookups/handlers/file.py`` and ``dag/__init__.py``;
- ``inspect.getargspec`` (removed in 3.11), for code that still calls it;
- ``troposphere.Template.add_description`` (renamed ``set_description`` in troposphere 3),
  called by ``stacker/blueprints/base.py`` for stacks with a ``description``.

schematics 2.0.1 (stacker's pin) has the same collections problem; we install 2.1.1 instead.
Everything here only adds missing names; nothing existing is replaced.
"""

from __future__ import annotations

import collections
import collections.abc
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import sys

ABC_ALIASES = (
    "Callable", "Iterable", "Iterator", "Mapping", "MutableMapping",
    "MutableSequence", "MutableSet", "Sequence", "Set", "Hashable",
)


def restore_collections_aliases() -> None:
    """Put the ``collections.abc`` classes back on ``collections`` where they are missing."""
    for name in ABC_ALIASES:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))


def restore_getargspec() -> None:
    """Define ``inspect.getargspec`` on top of ``getfullargspec`` if it is missing."""
    if hasattr(inspect, "getargspec"):
        return

    def getargspec(func):  # noqa: ANN001, ANN202 - mirrors the removed stdlib signature
        spec = inspect.getfullargspec(func)
        return inspect.ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)  # type: ignore[attr-defined]

    if not hasattr(inspect, "ArgSpec"):
        inspect.ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")  # type: ignore[attr-defined]
    inspect.getargspec = getargspec  # type: ignore[attr-defined]


def patch_troposphere_template(module: object) -> None:
    """Give ``troposphere.Template`` an ``add_description`` alias of ``set_description``."""
    template = getattr(module, "Template", None)
    if template is not None and not hasattr(template, "add_description"):
        template.add_description = template.set_description


class _AfterImport(importlib.abc.MetaPathFinder):
    """Run a patch right after ``troposphere`` is imported, so start-up stays cheap."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> importlib.machinery.ModuleSpec | None:
        """Find troposphere the normal way, and patch it once it has loaded."""
        if fullname != "troposphere":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module: object) -> None:
            exec_module(module)
            patch_troposphere_template(module)

        spec.loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Apply every fix; safe to call more than once."""
    restore_collections_aliases()
    restore_getargspec()
    if "troposphere" in sys.modules:
        patch_troposphere_template(sys.modules["troposphere"])
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


install()

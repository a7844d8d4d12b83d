"""Make the published stacker 1.7.2 run on Python 3.11, without editing installed files.

Loaded at interpreter start by ``stacker_ecs_py311.pth`` (installed into site-packages by
``setup.py``), which costs nothing there: it restores exactly what stacker 1.7.2 still uses and newer
Pythons and libraries removed, when stacker (or schematics, or troposphere) is first imported:

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

import sys
from importlib.machinery import ModuleSpec  # loaded with the interpreter: no cost

ABC_ALIASES = (
    "Callable", "Iterable", "Iterator", "Mapping", "MutableMapping",
    "MutableSequence", "MutableSet", "Sequence", "Set", "Hashable",
)
NEEDS_REMOVED_NAMES = frozenset({"stacker", "schematics"})
"""Packages that use the removed names: the names are restored just before the first is imported."""


def restore_collections_aliases() -> None:
    """Put the ``collections.abc`` classes back on ``collections`` where they are missing."""
    import collections
    import collections.abc

    for name in ABC_ALIASES:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))


def restore_getargspec() -> None:
    """Define ``inspect.getargspec`` on top of ``getfullargspec`` if it is missing."""
    import collections
    import inspect

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


class _OnImport:
    """A ``sys.meta_path`` entry that finds nothing itself: it restores the removed names just before stacker or
    schematics is imported, and patches troposphere right after it is. Interpreter start imports nothing for it
    (the ``.pth`` file runs in every Python process of the environment)."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> ModuleSpec | None:
        """Return None (the other finders find the module), or troposphere's spec, patched once it loads."""
        if fullname in NEEDS_REMOVED_NAMES:
            restore_collections_aliases()
            restore_getargspec()
            return None
        if fullname != "troposphere":
            return None
        # Ask the finders after this one (sys.meta_path is not changed: another thread may be reading it).
        spec = next(filter(None, (getattr(f, "find_spec", lambda *_: None)(fullname, path, target)
                                  for f in sys.meta_path if f is not self)), None)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module: object) -> None:
            exec_module(module)
            patch_troposphere_template(module)

        spec.loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Apply every fix now for what is already imported, and on import for the rest; safe to call more than once."""
    if NEEDS_REMOVED_NAMES & sys.modules.keys():
        restore_collections_aliases()
        restore_getargspec()
    if "troposphere" in sys.modules:
        patch_troposphere_template(sys.modules["troposphere"])
    if not any(isinstance(f, _OnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _OnImport())


install()

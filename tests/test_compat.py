"""stacker 1.7.2 on this Python: what stacker_ecs.compat restores, and that the CLI starts."""

from __future__ import annotations

import collections
import collections.abc
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import stacker  # noqa: F401 - importing stacker restores the removed names (what the tests below check)
import troposphere

from stacker_ecs import compat

BIN = Path(sys.executable).parent


def test_compat_is_loaded_at_interpreter_start_by_the_pth_file_and_imports_nothing_there():
    code = ("import sys; print('stacker_ecs.compat' in sys.modules, "
            "[m for m in ('collections', 'inspect', 'importlib.abc', 'typing') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True []"


@pytest.mark.parametrize("package", ["stacker", "schematics"])
def test_the_removed_names_are_back_before_stacker_or_schematics_is_imported(package):
    code = ("import sys; assert 'collections' not in sys.modules; import " + package + ", collections, "
            "collections.abc, inspect; print(collections.Mapping is collections.abc.Mapping, "
            "hasattr(inspect, 'getargspec'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "True True", result.stderr


def test_stacker_cli_starts_on_this_python():
    result = subprocess.run([str(BIN / "stacker"), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "1.7.2" in result.stdout + result.stderr


def test_stacker_modules_that_use_removed_names_import():
    code = ("import stacker.commands.stacker.base, stacker.hooks.utils, stacker.context, "
            "stacker.lookups.handlers.file, stacker.blueprints.base, stacker.config; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


def test_collections_aliases_point_at_collections_abc():
    for name in compat.ABC_ALIASES:
        assert getattr(collections, name) is getattr(collections.abc, name)


def test_getargspec_is_back_and_reads_a_signature():
    def f(a, b=1, *args, **kwargs):
        return a, b, args, kwargs

    spec = inspect.getargspec(f)
    assert spec.args == ["a", "b"]
    assert spec.varargs == "args"
    assert spec.keywords == "kwargs"
    assert spec.defaults == (1,)


def test_troposphere_template_add_description_sets_the_description():
    template = troposphere.Template()
    template.add_description("hello")
    assert template.to_dict()["Description"] == "hello"


def test_install_is_idempotent_and_replaces_nothing_that_exists():
    mapping = collections.Mapping
    compat.install()
    compat.install()
    assert collections.Mapping is mapping
    assert troposphere.Template.add_description is troposphere.Template.set_description

"""The generated reference pages match the code, and the README's links and claims hold."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from scripts.reference import PAGES, ROOT
from tests.adapter_fixtures import context, provider
from tests.core.ops.conftest import ReadsOfOneWorld, World

__all__ = ["context", "provider"]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_generated_page_matches_the_code(page: str):
    expected = PAGES[page]()
    path = ROOT / page
    if os.environ.get("UPDATE_DOCS") == "1":
        path.write_text(expected)
    actual = path.read_text() if path.exists() else ""
    if actual != expected:
        diff = "".join(difflib.unified_diff(actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                                            page, "rendered from the code"))
        pytest.fail(f"{page} differs from the code; run `make docs` to rewrite it:\n{diff}")


def test_the_reference_names_every_hook_argument_and_cli_option():
    from stacker_ecs.cli import COMMANDS
    from stacker_ecs.core.registry import HOOKS, LOOKUPS

    text = (ROOT / "docs" / "reference.md").read_text()
    for entry in [*HOOKS.values(), *LOOKUPS.values()]:
        for name in entry.load_model().model_fields:
            assert f"| `{name}` |" in text, (entry.name, name)
    for command in COMMANDS:
        assert f"### `stacker-ecs {command}`" in text


CITED_FILE = r"`((?:stacker_ecs|emulator|tests|scripts|config|docs|notes)/[\w./-]+\.(?:py|md|yaml|yml|env|json))`"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_cited_file_exists(path: Path):
    text = path.read_text()
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)", text) if "://" not in t]
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert not missing, f"{path.name} links to files that do not exist: {missing}"
    cited = set(re.findall(CITED_FILE, text))
    gone = sorted(c for c in cited if not (ROOT / c).exists())
    assert not gone, f"{path.name} cites files that do not exist: {gone}"


def anchors(path: Path) -> set[str]:
    """Return the anchors GitHub gives the headings of a Markdown file."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_anchor_a_link_names_exists(path: Path):
    links = re.findall(r"\]\(([^)\s]*)#([^)\s]+)\)", path.read_text())
    broken = [f"{target}#{anchor}" for target, anchor in links
              if "://" not in target and anchor not in anchors(path.parent / target if target else path)]
    assert not broken, f"{path.name} links to headings that do not exist: {broken}"


def test_the_reference_marks_required_exactly_the_options_and_arguments_a_command_needs():
    from stacker_ecs.cli import COMMANDS, FLAG_NAMES, load

    sections = (ROOT / "docs" / "reference.md").read_text().split("### `stacker-ecs ")
    for command, declared in COMMANDS.items():
        section = next(s for s in sections if s.startswith(f"{command}`"))
        for name, field in load(declared.model).model_fields.items():
            shown = name if name in ("app", "version") else FLAG_NAMES.get(name, "--" + name.replace("_", "-"))
            row = f"| `{shown}` | {'yes' if field.is_required() else ''} |"
            assert row in section, (command, row)


TEST_ID = r"`((?:tests/)?[\w./-]*\.py)?::(\w+)`"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_test_exists(path: Path):
    # `tests/x.py::test_y`, `x.py::test_y` (a file of tests/) and `::test_y` (a file the page cites)
    text = path.read_text()
    cited = [ROOT / c for c in set(re.findall(r"`(tests/[\w./-]+\.py)", text))]
    missing = []
    for file, name in re.findall(TEST_ID, text):
        files = cited if not file else [ROOT / file] if "/" in file else sorted((ROOT / "tests").rglob(file))
        if not any(f.exists() and re.search(rf"def {name}\b|class {name}\b", f.read_text()) for f in files):
            missing.append(f"{file}::{name}")
    assert not missing, f"{path.name} cites tests that do not exist: {missing}"


CODE_DIRS = ("stacker_ecs", "emulator", "scripts", "config")


def test_what_the_docs_code_and_configs_point_to_in_the_docs_exists():
    # a page, comment or docstring naming `docs/<page>.md`, or a README section by its heading
    headings = set(re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), re.MULTILINE))
    files = [*markdown_files(), ROOT / "Makefile", ROOT / "setup.py", ROOT / "requirements.txt",
             *(f for d in CODE_DIRS for f in sorted((ROOT / d).rglob("*")) if f.is_file() and f.suffix != ".pyc")]
    wrong = []
    for file in files:
        text = file.read_text(errors="replace")
        wrong += [f"{file.relative_to(ROOT)}: {page}" for page in re.findall(r"(?:docs|notes)/[\w-]+\.md", text)
                  if not (ROOT / page).exists()]
        wrong += [f"{file.relative_to(ROOT)}: README {section!r}" for section in
                  re.findall(r'README,? "#* *([^"]+)"', text) if section not in headings]
    assert not wrong, f"pointers to pages or README sections that do not exist: {wrong}"


def test_the_target_health_table_classifies_every_reason_as_verify_does():
    from stacker_ecs.core.ops.health import ALL_FAILED, NEVER, TARGET_REASONS, WAIT

    said = {WAIT: "waits", ALL_FAILED: "fails once as many targets as needed fail", NEVER: "**fails at once**"}
    rows = dict(re.findall(r"^\| [^|]+ \| `([\w.]+)` \| ([^|]+?) \|", (ROOT / "docs" / "health.md").read_text(),
                           re.MULTILINE))
    assert rows == {code: said[reason.verdict] for code, reason in TARGET_REASONS.items()}


def test_the_sceptre_page_names_every_hook_tag_and_resolver():
    from stacker_ecs.core.registry import sceptre_entry_points

    text = (ROOT / "docs" / "sceptre.md").read_text()
    points = sceptre_entry_points()
    tags = [e.partition("=")[0] for kind in ("sceptre.hooks", "sceptre.resolvers") for e in points[kind]]
    assert [tag for tag in tags if f"`!{tag}`" not in text] == []


LOOKUP_QUERIES = {"ecs_live_version": "web", "alb_listener": "web", "alb_rule_priority": "web::version=v2",
                  "ecs_live_desired_count": "web", "ecs_version_desired_count": "web::version=v2",
                  "ecs_deployed_version": "web::version=v2", "ecs_sources": "web"}
"""A query of each lookup in the world below (``v1`` live, ``v2`` beside it)."""


def documented_lookup_costs() -> dict[str, int]:
    """Return lookup -> the AWS calls the table of docs/operations.md gives (its last column's first number)."""
    rows = [line for line in (ROOT / "docs" / "operations.md").read_text().splitlines() if line.startswith("| `${")]
    return {re.match(r"\| `\$\{(\w+)", row)[1]: int(re.match(r"\s*(\d+)", row.rsplit("|", 2)[1])[1]) for row in rows}


class TestTheLookupCostsTheOperationsPageGives(ReadsOfOneWorld):
    """docs/operations.md's "What the lookups cost", against the calls each stacker lookup makes."""

    @pytest.mark.parametrize("name", sorted(LOOKUP_QUERIES))
    def test_a_lookup_makes_the_calls_the_table_says(self, live_world: World, context, provider, adapter_calls,
                                                     name: str):
        from stacker_ecs import lookups
        from stacker_ecs.core.registry import LOOKUPS

        lookup = getattr(lookups, LOOKUPS[name].class_name)
        adapter_calls.reset()

        lookup.handle(LOOKUP_QUERIES[name], context=context, provider=provider)

        assert adapter_calls.total == documented_lookup_costs()[name], adapter_calls.calls


def test_every_lookup_has_a_row_of_costs_and_a_query():
    from stacker_ecs.core.registry import LOOKUPS

    assert set(documented_lookup_costs()) == set(LOOKUPS) == set(LOOKUP_QUERIES)


def documented_commands() -> list[tuple[str, str]]:
    """Return (page, line) of every ``stacker-ecs`` command in a ``sh`` block, optional ``[...]`` parts included."""
    found = []
    for path in markdown_files():
        for block in re.findall(r"```sh\n(.*?)```", path.read_text(), re.DOTALL):
            for line in block.replace("\\\n", " ").splitlines():
                line = re.split(r"\s#", line)[0].strip()
                if line.startswith("stacker-ecs "):
                    found.append((path.name, re.sub(r"\[([^]]*)\]", r"\1", line)))
    return found


@pytest.mark.parametrize(("page", "line"), documented_commands())
def test_every_documented_command_line_is_accepted_by_the_cli(page: str, line: str):
    import shlex

    from stacker_ecs.cli import COMMANDS, build_parser, load
    from stacker_ecs.core.model import parse

    options = build_parser().parse_args(shlex.split(line)[1:])  # an unknown option exits 2
    values = {k: v for k, v in vars(options).items() if k not in ("command", "region", "output")}
    parse(load(COMMANDS[options.command].model), values, where=page)  # a bad value raises ConfigError


def test_every_setting_a_documented_build_passes_is_a_key_of_the_example_environment():
    # stacker's `-e name=...` and Sceptre's `--var name=...` override a key the environment file must have
    env = set(re.findall(r"^(\w+):", (ROOT / "config" / "dev.env").read_text(), re.MULTILINE))
    var_file = set(re.findall(r"^(\w+):", (ROOT / "config" / "sceptre" / "vars" / "dev.yaml").read_text(),
                              re.MULTILINE))
    unknown = []
    for path in markdown_files():
        text = path.read_text()
        unknown += [f"{path.name}: -e {k}" for k in re.findall(r"(?:^|[\s`])-e '?(\w+)=", text) if k not in env]
        unknown += [f"{path.name}: --var {k}" for k in re.findall(r"--var (\w+)=", text) if k not in var_file]
    assert unknown == []


def test_the_readme_fits_in_one_sitting():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move reference material to docs/"


def test_every_row_of_the_reference_says_what_it_is():
    # a field without its docstring (or with it under the wrong field) leaves an empty cell
    empty = [line for line in (ROOT / "docs" / "reference.md").read_text().splitlines()
             if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert empty == []

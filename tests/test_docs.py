"""The README and docs/*.md keep working: their commands parse, their links resolve.

Every ``kedro`` command in a fenced ```bash block (and in an inline code span without placeholders)
is parsed by this project's own CLI without running it: the options must exist, ``--pipeline``
must name a registered pipeline, ``--env`` (or ``KEDRO_ENV=``) a folder under ``conf/`` (or one the
same page shows how to create), ``--params`` known parameter blocks and keys, ``--runner`` a
runner that imports. ``python <script>.py`` must name a script that exists and ``pip install
-e ".[extra]"`` an extra of pyproject.toml. Every relative link (and its #anchor) must resolve, and
every docs page must be reachable from the README.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import click
import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)")
SEPARATORS = {"&&", "||", ";", "|", "&"}


def rel(page: Path) -> str:
    return str(page.relative_to(ROOT))


def fenced_blocks(page: Path, language: str | None = None) -> list[tuple[int, str]]:
    """(first line number of the body, body) of each fenced block, of one language if given."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(2)) for m in FENCE.finditer(text)
            if language is None or m.group(1) == language]


def prose(page: Path) -> str:
    """The page without its fenced blocks (blank lines keep the line numbers)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), page.read_text(encoding="utf-8"))


def split_commands(line: str) -> list[tuple[dict[str, str], list[str]]]:
    """The simple commands of one shell line: (leading VAR=value assignments, argv)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands, current = [], []
    for token in [*lexer, ";"]:
        if token in SEPARATORS:
            if current:
                assignments = {}
                while current and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", current[0]):
                    name, value = current.pop(0).split("=", 1)
                    assignments[name] = value
                if current:
                    commands.append((assignments, current))
            current = []
        else:
            current.append(token)
    return commands


def shell_commands() -> list[tuple[str, dict[str, str], list[str]]]:
    """Every simple command in the pages' bash blocks, and inline ``kedro … --pipeline/--env x`` spans without placeholders."""
    found = []
    for page in PAGES:
        for start, body in fenced_blocks(page, "bash"):
            logical, first = "", None
            for offset, line in enumerate(body.splitlines()):
                first = start + offset if first is None else first
                if line.rstrip().endswith("\\"):
                    logical += line.rstrip()[:-1] + " "
                    continue
                for assignments, argv in split_commands(logical + line):
                    found.append((f"{rel(page)}:{first}", assignments, argv))
                logical, first = "", None
        text = prose(page)
        for match in INLINE.finditer(text):
            span = match.group(1)
            if re.match(r"kedro \S+ .*--(pipeline|env) \w", span) and not re.search(r"<|…|\.\.\.", span):
                line = text.count("\n", 0, match.start()) + 1
                found.extend((f"{rel(page)}:{line}", a, argv) for a, argv in split_commands(span))
    return found


COMMANDS = shell_commands()
KEDRO = [c for c in COMMANDS if c[2][0] == "kedro"]


# ------------------------------------------------------------------------------------------ the project


@pytest.fixture(scope="module")
def kedro_cli() -> click.Group:
    from kedro.framework.cli.cli import KedroCLI

    return KedroCLI(project_path=ROOT)


@cache
def registered_pipelines() -> frozenset[str]:
    from synergy_kedro.pipeline_registry import register_pipelines

    return frozenset(register_pipelines())


@cache
def parameters(env: str) -> dict:
    from kedro.config import OmegaConfigLoader

    loader = OmegaConfigLoader(str(ROOT / "conf"), base_env="base", default_run_env=env,
                               merge_strategy={"parameters": "soft"})
    return dict(loader["parameters"])


def environments() -> set[str]:
    return {p.name for p in (ROOT / "conf").iterdir() if p.is_dir()}


def documented_environments(page: str) -> set[str]:
    """Environments a page shows how to create: a ```yaml block headed ``# conf/<env>/…``."""
    return {m.group(1) for _, body in fenced_blocks(ROOT / page.split(":")[0], "yaml")
            if (m := re.match(r"#\s*conf/([\w.-]+)/", body))}


def parse(cli: click.Group, argv: list[str]) -> click.Context:
    """Parse ``kedro <argv>`` as click would, down to the leaf command, without invoking it."""
    context = click.Context(cli, info_name="kedro")
    command, args = cli, list(argv)
    while isinstance(command, click.Group):
        if not args:
            raise click.UsageError(f"`kedro {' '.join(argv)}` names no command")
        sub = command.get_command(context, args[0])
        if sub is None:
            raise click.UsageError(f"no command {args[0]!r} in `kedro {' '.join(argv)}`")
        context = click.Context(sub, info_name=args[0], parent=context)
        command, args = sub, args[1:]
    return command.make_context(context.info_name, args, parent=context.parent)


def unknown_parameters(overrides: dict, env: str) -> list[str]:
    """Keys of ``--params`` that are no parameter block (top level) or no key of their block."""
    known = parameters(env)
    wrong = []
    for block, value in overrides.items():
        if block not in known:
            wrong.append(f"{block} (blocks: {sorted(known)})")
        elif isinstance(value, dict) and isinstance(known[block], dict):
            wrong.extend(f"{block}.{key} (keys: {sorted(known[block])})" for key in value if key not in known[block])
    return wrong


def check_kedro_command(cli: click.Group, where: str, assignments: dict[str, str], argv: list[str]) -> None:
    from kedro.utils import load_obj

    context = parse(cli, argv[1:])
    options = context.params
    env = options.get("env") or assignments.get("KEDRO_ENV")
    if env is not None:
        assert env in environments() | documented_environments(where), (
            f"{where}: `{shlex.join(argv)}`: no environment conf/{env}/ (have: {sorted(environments())})")
    pipelines = [options.get("pipeline"), *(options.get("pipelines") or [])]
    for name in filter(None, pipelines):
        assert name in registered_pipelines(), (
            f"{where}: `{shlex.join(argv)}`: no pipeline {name!r} (registered: {sorted(registered_pipelines())})")
    overrides = options.get("params") or {}
    if isinstance(overrides, str):  # kedro compare-procedures passes --params on to kedro run
        overrides = parse(cli, ["run", "--params", overrides]).params["params"]
    wrong = unknown_parameters(overrides, env if env in environments() else "local")
    assert not wrong, f"{where}: `{shlex.join(argv)}`: unknown parameters: {'; '.join(wrong)}"
    if options.get("runner"):
        load_obj(options["runner"], "kedro.runner")


# ------------------------------------------------------------------------------------------ commands


def test_the_pages_hold_kedro_commands():
    assert any("README.md" in where for where, _, _ in KEDRO)
    assert {argv[1] for _, _, argv in KEDRO} >= {"run", "viz", "compare-procedures"}


@pytest.mark.parametrize(("where", "assignments", "argv"), KEDRO, ids=[f"{w} {' '.join(a[:4])}" for w, _, a in KEDRO])
def test_kedro_command_parses_and_names_what_exists(kedro_cli, where, assignments, argv):
    check_kedro_command(kedro_cli, where, assignments, argv)


@pytest.mark.parametrize(("argv", "message"), [
    (["kedro", "run", "--pipeline", "global_vs_locals"], "no pipeline 'global_vs_locals'"),
    (["kedro", "run", "--env", "caravans", "--pipeline", "global_vs_local"], "no environment conf/caravans/"),
    (["kedro", "run", "--params", "trainng.epochs=5"], "unknown parameters: trainng (blocks:"),
    (["kedro", "run", "--params", "training.epoch=5"], "unknown parameters: training.epoch (keys:"),
])
def test_a_command_naming_what_does_not_exist_fails(kedro_cli, argv, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_kedro_command(kedro_cli, "README.md:1", {}, argv)


def test_an_unknown_option_fails(kedro_cli):
    with pytest.raises(click.NoSuchOption):
        check_kedro_command(kedro_cli, "README.md:1", {}, ["kedro", "run", "--pipline", "global_vs_local"])


def test_scripts_and_extras_named_by_commands_exist():
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for where, _, argv in COMMANDS:
        if argv[0] in {"python", "python3"} and argv[1].endswith(".py"):
            assert (ROOT / argv[1]).is_file(), f"{where}: `{shlex.join(argv)}`: no file {argv[1]}"
        if argv[:2] == ["pip", "install"]:
            for spec in argv[2:]:
                if m := re.fullmatch(r"\.\[([\w,-]+)\]", spec):
                    missing = set(m.group(1).split(",")) - extras
                    assert not missing, f"{where}: `{shlex.join(argv)}`: no extra {missing} (have: {sorted(extras)})"


def test_ci_runs_the_readmes_install_and_test_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
    blocks = [body for _, body in fenced_blocks(ROOT / "README.md", "bash")]
    install = blocks[0].splitlines()[0]
    assert install == 'pip install -e ".[dev]"'
    test_block = re.search(r"^Test \(CI runs `([^`]+)` first\):\n\n```bash\n(.*?)```", readme, re.M | re.S)
    assert test_block, "README: the 'Test (CI runs `…` first):' block is gone"
    lint, tests = test_block.group(1), test_block.group(2).strip()
    for command in (install, lint, tests):
        assert command in ci, f".ci/run does not run the README's `{command}`"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_code_blocks_are_valid_python_and_yaml(page):
    for line, body in fenced_blocks(page, "python"):
        ast.parse(body, filename=f"{rel(page)}:{line}")
    for _, body in fenced_blocks(page, "yaml"):
        yaml.safe_load(body)


# ------------------------------------------------------------------------------------------ links


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> Iterator[str]:
    seen: dict[str, int] = {}
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose(page), re.M):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        yield base if count == 0 else f"{base}-{count}"


def links(page: Path) -> list[tuple[int, str]]:
    text = INLINE.sub(lambda m: " " * len(m.group(0)), prose(page))
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in LINK.finditer(text)]


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_relative_links_point_to_existing_files_and_headings(page):
    broken = []
    for line, target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{rel(page)}:{line}: {target} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in set(anchors(file)):
            broken.append(f"{rel(page)}:{line}: {target} (no heading #{anchor} in {file.name})")
    assert not broken, "\n".join(broken)


def test_every_docs_page_is_reachable_from_the_readme():
    reached, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        for _, target in links(page):
            file = (page.parent / target.partition("#")[0]).resolve()
            if file.suffix == ".md" and file.is_file() and ROOT in file.parents:
                todo.append(file)
    unreachable = [rel(p) for p in PAGES if p.resolve() not in reached]
    assert not unreachable, f"docs pages no link leads to from the README: {unreachable}"


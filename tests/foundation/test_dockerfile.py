"""The image's paths line up: what it copies exists, and the hub finds its runbooks and config.

No container engine runs here, so the Dockerfile is read, not built.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import make_url

from hub.config.loader import load_config
from hub.config.models import HubConfig

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
RUN_MOUNT = re.compile(r"-v \$PWD/(?P<source>\S+?):(?P<target>/\S+?)(?::ro)?\s")


def final_stage() -> list[tuple[str, str]]:
    """(instruction, arguments) of the last stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    steps = [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for parts in [line.strip().split(None, 1)]
    ]
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def instruction(op: str) -> list[str]:
    return [args for step, args in final_stage() if step == op]


def env() -> dict[str, str]:
    pairs = [shlex.split(args) for args in instruction("ENV")]
    return dict(pair.split("=", 1) for words in pairs for pair in words)


def entrypoint_config() -> str:
    (argv,) = [json.loads(args) for args in instruction("ENTRYPOINT")]
    return str(argv[argv.index("--config") + 1])


def test_every_copied_path_exists() -> None:
    sources = [
        word
        for op, args in re.findall(r"^(COPY)\s+(.*)$", DOCKERFILE, re.MULTILINE)
        if "--from=" not in args
        for word in args.split()[:-1]
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source


def test_default_runbooks_dir_is_where_the_runbooks_are_copied() -> None:
    (workdir,) = instruction("WORKDIR")
    copies = dict(args.split()[-2:] for args in instruction("COPY"))
    runbooks = PurePosixPath(workdir) / copies["runbooks"]
    default = HubConfig.model_fields["runbooks_dir"].default
    assert PurePosixPath(workdir) / default == runbooks


def test_run_example_mounts_a_real_config_at_the_entrypoint_path() -> None:
    (mount,) = RUN_MOUNT.finditer(DOCKERFILE)
    assert mount["target"] == entrypoint_config()
    tokens = {"ALERTHUB_INTAKE_TOKEN": "i" * 16, "ALERTHUB_API_TOKEN": "a" * 16}
    config = load_config(ROOT / mount["source"], env={**env(), **tokens}).config
    assert config.server.listen == env()["ALERTHUB_LISTEN"]


def test_store_is_an_absolute_path_in_the_volume() -> None:
    database = make_url(env()["ALERTHUB_DATABASE_URL"]).database
    assert database is not None
    (volume,) = [json.loads(args) for args in instruction("VOLUME")]
    assert PurePosixPath(database).is_absolute()
    assert PurePosixPath(volume[0]) in PurePosixPath(database).parents

"""Loading and validating upstream's ``process_list.yaml``.

Format (upstream's): a YAML list of mappings with the keys ``process_name``,
``start_command``, ``pre_start_command``, ``post_start_command``, ``restart_command``,
``pre_restart_command``, ``post_restart_command`` and ``run_as_root``. Commands may be a
string (split like a shell would split words, but never run through a shell) or a YAML list
of arguments; empty means "no command".
"""

import os
import shlex
from dataclasses import dataclass

import yaml

COMMAND_KEYS = ("start_command", "pre_start_command", "post_start_command", "restart_command",
                "pre_restart_command", "post_restart_command")


class ProcessListError(ValueError):
    """The process list file is missing, not YAML, or not in the expected shape."""


@dataclass(frozen=True)
class ProcessSpec:
    process_name: str
    start_command: tuple[str, ...]
    pre_start_command: tuple[str, ...]
    post_start_command: tuple[str, ...]
    restart_command: tuple[str, ...]
    pre_restart_command: tuple[str, ...]
    post_restart_command: tuple[str, ...]
    run_as_root: bool = False

    @property
    def match_argv(self) -> tuple[str, ...]:
        """The argument prefix a running process must start with."""
        return tuple(shlex.split(self.process_name))

    @property
    def short_name(self) -> str:
        """Name sent in the notification: what follows the last '/' (upstream's rule)."""
        return self.process_name.rstrip().rsplit("/", 1)[-1]


def _command(value, where: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise ProcessListError(f"{where}: cannot split command {value!r}: {exc}") from exc
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    raise ProcessListError(f"{where}: a command must be a string or a list of arguments")


def parse(doc) -> list[ProcessSpec]:
    """Validate a loaded YAML document (pure)."""
    if not isinstance(doc, list):
        raise ProcessListError("the process list must be a YAML list of mappings")
    specs = []
    for i, item in enumerate(doc):
        where = f"entry {i + 1}"
        if not isinstance(item, dict):
            raise ProcessListError(f"{where}: must be a mapping")
        name = item.get("process_name")
        if not isinstance(name, str) or not name.strip():
            raise ProcessListError(f"{where}: process_name must be a non-empty string")
        where = f"entry {i + 1} ({name})"
        cmds = {key: _command(item.get(key), f"{where} {key}") for key in COMMAND_KEYS}
        if not cmds["restart_command"]:
            raise ProcessListError(f"{where}: restart_command is required")
        run_as_root = item.get("run_as_root", False)
        if not isinstance(run_as_root, bool):
            raise ProcessListError(f"{where}: run_as_root must be true or false")
        specs.append(ProcessSpec(process_name=name.strip(), run_as_root=run_as_root, **cmds))
    return specs


def load(path: str) -> list[ProcessSpec]:
    """Read and validate ``path``; raises :class:`ProcessListError` with a clear reason."""
    if not os.path.exists(path):
        raise ProcessListError(f"{path} does not exist")
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        raise ProcessListError(f"{path}: {exc}") from exc
    try:
        return parse(doc)
    except ProcessListError as exc:
        raise ProcessListError(f"{path}: {exc}") from exc

"""Finding recovery tasks by name, as upstream: through an entry point namespace.

Our tasks (with upstream's built-in names, so existing ``[taskflow_driver_recovery_flows]``
settings keep working) are registered in setup.cfg under ``masakari_ha.task_flow.tasks``;
third-party packages add theirs there, or under upstream's ``masakari.task_flow.tasks``.
"""

import ast
import functools
import logging
from importlib import metadata

LOG = logging.getLogger(__name__)

NAMESPACES = ("masakari_ha.task_flow.tasks", "masakari.task_flow.tasks")


class UnknownTask(LookupError):
    """A configured task name is not registered in any namespace."""


@functools.lru_cache(maxsize=None)
def _entry_points() -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for namespace in reversed(NAMESPACES):  # ours win over upstream's namespace
        for entry in metadata.entry_points(group=namespace):
            found[entry.name] = entry
    return found


def task_class(name: str):
    """The task class registered as ``name``.

    :raises UnknownTask: naming the task and the namespaces searched.
    """
    entry = _entry_points().get(name)
    if entry is None:
        raise UnknownTask(f"Recovery task {name!r} is not registered in the entry point "
                          f"namespaces {', '.join(NAMESPACES)}.")
    return entry.load()


def parse_stages(value: dict) -> dict[str, list[str]]:
    """Normalise an option value (``pre:['a'],main:['b']`` parses to strings) to lists."""
    stages: dict[str, list[str]] = {}
    for stage in ("pre", "main", "post"):
        raw = value.get(stage) or []
        if isinstance(raw, str):
            try:
                raw = ast.literal_eval(raw) if raw.strip() else []
            except (ValueError, SyntaxError) as error:
                raise ValueError(f"{stage} tasks {raw!r} are not a list of quoted task names") from error
        if isinstance(raw, str):
            raw = [raw]
        stages[stage] = [str(name) for name in raw]
    unknown = set(value) - {"pre", "main", "post"}
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; expected pre, main, post")
    return stages


def build_stages(value: dict, context, novaclient, **kwargs) -> dict[str, list]:
    """Task instances per stage, constructed as upstream: ``(context, novaclient, **kwargs)``."""
    return {stage: [task_class(name)(context, novaclient, **kwargs) for name in names]
            for stage, names in parse_stages(value).items()}


def preload(conf) -> list[str]:
    """Import every task class the configured flows name; return one problem per bad name.

    Called when the engine starts, so the first recovery after a start does not pay for
    scanning the installed packages' entry points and importing the task modules (a few
    hundred milliseconds), and a misspelt task name is reported at once, not at the first
    host failure.
    """
    problems = []
    group = "taskflow_driver_recovery_flows"
    options = conf[group]
    for opt_name in sorted(options.keys()):
        try:
            stages = parse_stages(getattr(options, opt_name) or {})
        except ValueError as error:
            problems.append(f"[{group}] {opt_name}: {error}")
            continue
        for names in stages.values():
            for name in names:
                try:
                    task_class(name)
                except Exception as error:  # UnknownTask, or the task's module fails to import
                    problems.append(f"[{group}] {opt_name}: {error}")
    return problems

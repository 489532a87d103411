"""Find every message the engine can write to a notification's ``message`` column.

Read from the engine's source (``masakari_ha/engine/**`` and ``masakari_ha/db/claims.py``) with :mod:`ast`, so a message
added to the code is found without anyone listing it. The engine records ``str(outcome)``
of the :class:`~masakari_ha.engine.errors.RecoveryOutcome` a flow raised
(``processor.Processor._run``), so the messages are:

* the first argument of every ``raise X(...)`` where ``X`` is a ``RecoveryOutcome``
  subclass (``errors.RecoveryFailure(...)``, ``errors.IgnoreRecovery(...)``, …) or the
  engine's ``WaitTimeout`` (whose text ends up inside the messages that wrap it);
* the reason of every closed gate decision, ``Decision(False, reason, ...)``, which the
  host-failure flow raises as ``GateClosed``/``IgnoreRecovery``;
* every text assigned to a ``message`` name (``status, message = ..., f"..."`` is what
  ``processor`` records for unexpected errors);
* the messages ``masakari_ha/db/claims.py`` writes when the engine turns a notification
  ``failed`` (retries used up, expired): the second argument of ``_to_failed(...)`` and
  the ``message = f"{message} Last error: ..."`` it appends.

A message argument that is a name is resolved through the assignments to that name in the
enclosing function or module (``message = f"..."; raise errors.SkipRecovery(message)``).
``"; ".join(<f-string> for ...)`` yields the element's template. Arguments that are not
text at all (``str(error)``, ``decision.reason``) are skipped: their text comes from one of
the sources above or from Nova.

Each message becomes a :class:`Template`: literal text with ``{}`` where the code inserts a
value; :meth:`Template.regex` matches the documented form, in which any placeholder
(``<host>``, ``<instance>``) stands for a value.
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[3]
ENGINE = REPO / "masakari_ha" / "engine"
#: The engine's claim bookkeeping: writes the message of notifications it turns ``failed``.
CLAIMS = REPO / "masakari_ha" / "db" / "claims.py"

#: Exceptions outside the RecoveryOutcome tree whose text reaches the message column.
EXTRA_MESSAGE_EXCEPTIONS = {"WaitTimeout"}
PLACEHOLDER = "{}"


@dataclasses.dataclass(frozen=True)
class Template:
    text: str          # literal parts joined with PLACEHOLDER
    where: str         # path:line of the code that builds it

    def regex(self) -> re.Pattern:
        parts = [re.escape(_normalise(p)) for p in self.text.split(PLACEHOLDER)]
        return re.compile(r"\S.*?".join(parts).replace(r"\ ", " "), re.DOTALL)

    @property
    def literal_chars(self) -> int:
        return len(self.text.replace(PLACEHOLDER, "").strip())


def _normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, typographic quotes folded to ASCII."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"')
    return re.sub(r"\s+", " ", text)


def normalise_page(text: str) -> str:
    return _normalise(text)


def _outcome_classes() -> set[str]:
    """Names of RecoveryOutcome and its subclasses defined anywhere in the engine."""
    names = {"RecoveryOutcome"}
    trees = [ast.parse(p.read_text(), str(p)) for p in sorted(ENGINE.rglob("*.py"))]
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    if any(_callee_name(base) in names for base in node.bases):
                        names.add(node.name)
                        changed = True
    return names


def _callee_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Scope:
    """String assignments visible from one function: its own, then the module's."""

    def __init__(self, module: ast.Module, function: ast.AST | None):
        self.maps = [self._assignments(function)] if function is not None else []
        self.maps.append(self._assignments(module, top_level=True))

    @staticmethod
    def _assignments(tree: ast.AST, top_level: bool = False) -> dict[str, list[ast.expr]]:
        found: dict[str, list[ast.expr]] = {}
        nodes = tree.body if top_level else list(ast.walk(tree))
        for node in nodes:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                found.setdefault(node.target.id, []).append(node.value)
        return found

    def lookup(self, name: str) -> list[ast.expr]:
        for mapping in self.maps:
            if name in mapping:
                return mapping[name]
        return []


def _templates_of(node: ast.expr, scope: _Scope, depth: int = 0) -> list[str]:
    """Every text ``node`` can evaluate to, as templates; [] when it is not text."""
    if depth > 5:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        # str.format fields ("after {attempts} attempts") are values, like f-string parts.
        return [re.sub(r"\{[a-z_]*\}", PLACEHOLDER, node.value)]
    if isinstance(node, ast.JoinedStr):
        text = ""
        for value in node.values:
            if isinstance(value, ast.Constant):
                text += str(value.value)
            else:
                text += PLACEHOLDER
        return [text]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        lefts = _templates_of(node.left, scope, depth + 1)
        rights = _templates_of(node.right, scope, depth + 1)
        if not lefts and not rights:
            return []
        return [l + r for l in (lefts or [PLACEHOLDER]) for r in (rights or [PLACEHOLDER])]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join" and isinstance(node.func.value, ast.Constant)
            and len(node.args) == 1
            and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp))):
        # "; ".join(f"... {x}" for x in xs): one element stands for the list.
        return _templates_of(node.args[0].elt, scope, depth + 1)
    if isinstance(node, ast.Name):
        found = []
        for value in scope.lookup(node.id):
            found.extend(_templates_of(value, scope, depth + 1))
        return found
    return []


def _functions(module: ast.Module):
    """(function node or None, statement) for every node, innermost function first."""
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(module):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent

    def enclosing(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None
    return enclosing


def message_templates() -> list[Template]:
    """All message templates of the engine, sorted and de-duplicated."""
    outcomes = _outcome_classes() | EXTRA_MESSAGE_EXCEPTIONS
    result: dict[str, Template] = {}
    for path in sorted(ENGINE.rglob("*.py")) + [CLAIMS]:
        module = ast.parse(path.read_text(), str(path))
        enclosing = _functions(module)
        rel = path.relative_to(REPO)
        for node in ast.walk(module):
            candidates: list[ast.expr] = []
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                if _callee_name(node.exc.func) in outcomes and node.exc.args:
                    candidates.append(node.exc.args[0])
            elif isinstance(node, ast.Call) and _callee_name(node.func) == "Decision":
                args = node.args
                if len(args) >= 2 and isinstance(args[0], ast.Constant) and args[0].value is False:
                    candidates.append(args[1])
            elif isinstance(node, ast.Call) and _callee_name(node.func) == "_to_failed":
                if len(node.args) >= 2:  # db/claims.py: the message of error/expired -> failed
                    candidates.append(node.args[1])
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == "message":
                        candidates.append(node.value)
                    elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        for name, value in zip(target.elts, node.value.elts):
                            if isinstance(name, ast.Name) and name.id == "message":
                                candidates.append(value)
            if not candidates:
                continue
            scope = _Scope(module, enclosing(node))
            for candidate in candidates:
                for text in _templates_of(candidate, scope):
                    if text.strip(PLACEHOLDER + " "):
                        result.setdefault(text, Template(text, f"{rel}:{node.lineno}"))
    return sorted(result.values(), key=lambda t: t.text)


if __name__ == "__main__":
    for template in message_templates():
        print(f"{template.where}: {template.text}")

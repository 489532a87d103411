"""The operator documentation builds without a single warning and covers the code.

One ``sphinx-build -W -b html`` run (about 6 s) in a temporary directory; the tests then
check the built HTML against the code:

* every option of ``masakari_ha.conf.opts.list_opts()`` and ``monitors.conf.opts.list_opts()``
  has its anchor in the generated configuration reference;
* every policy rule registered in code appears in the policy reference;
* every message the engine can put on a notification (found in the engine's source by
  :mod:`tests.unit.docs.engine_messages`) appears on the troubleshooting page;
* the configuration reference lists exactly the namespaces of the generator files;
* a metrics page exists exactly when a metrics module does.
"""

from __future__ import annotations

import html
import html.parser
import pathlib
import re
import subprocess
import sys

import pytest
from oslo_config import cfg

from tests.unit.docs import engine_messages

REPO = engine_messages.REPO
SOURCE = REPO / "doc" / "source"


def _sphinx_build():
    try:
        import sphinx  # noqa: F401
    except ImportError:  # pragma: no cover - test-requirements.txt installs it
        pytest.fail("sphinx is not installed: pip install -r test-requirements.txt")
    return [sys.executable, "-m", "sphinx"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("html")
    doctrees = tmp_path_factory.mktemp("doctrees")
    result = subprocess.run(
        _sphinx_build() + ["-W", "--keep-going", "-b", "html", "-d", str(doctrees), "-q",
                           str(SOURCE), str(out)],
        capture_output=True, text=True, timeout=240, cwd=REPO)
    # -W does not fail on warnings the oslo.config extension demotes (skip_warningiserror),
    # so read the output as well: any WARNING or ERROR line fails the build here.
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b", line)]
    assert result.returncode == 0 and not problems, (
        f"sphinx-build failed (rc {result.returncode}):\n" + "\n".join(problems or [result.stderr[-4000:]]))
    return out


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(path: pathlib.Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return engine_messages.normalise_page(html.unescape(" ".join(parser.parts)))


def page_ids(path: pathlib.Path) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', path.read_text(encoding="utf-8")))


def _option_anchors(list_opts) -> list[str]:
    anchors = []
    for group, opts in list_opts():
        name = group.name if isinstance(group, cfg.OptGroup) else (group or "DEFAULT")
        for opt in opts:
            anchors.append(f"{cfg._normalize_group_name(name)}.{opt.dest.lower()}")
    return anchors


def test_every_page_is_built(built):
    for rst in SOURCE.rglob("*.rst"):
        html_page = built / rst.relative_to(SOURCE).with_suffix(".html")
        assert html_page.is_file(), f"{rst} was not built"


def test_every_service_option_is_in_the_reference(built):
    from masakari_ha.conf import opts

    anchors = _option_anchors(opts.list_opts)
    assert len(anchors) > 50
    ids = page_ids(built / "configuration" / "masakari-ha.html")
    missing = [a for a in anchors if a not in ids]
    assert not missing, f"options missing from configuration/masakari-ha: {missing}"


def test_every_monitor_option_is_in_the_reference(built):
    from monitors.conf import opts

    anchors = _option_anchors(opts.list_opts)
    assert len(anchors) > 10
    ids = page_ids(built / "configuration" / "monitors.html")
    missing = [a for a in anchors if a not in ids]
    assert not missing, f"options missing from configuration/monitors: {missing}"


def _generator_namespaces(name: str) -> list[str]:
    # oslo's generator files repeat "namespace", which configparser refuses: read lines.
    lines = (REPO / "etc" / name).read_text().splitlines()
    return [line.split("=", 1)[1].strip() for line in lines
            if re.match(r"\s*namespace\s*=", line)]


def _directive_namespaces(rst: str) -> list[str]:
    text = (SOURCE / "configuration" / rst).read_text()
    block = text.split(".. show-options::", 1)[1]
    return [line.strip() for line in block.splitlines() if line.startswith("   ") and line.strip()]


def test_reference_uses_the_generator_namespaces():
    assert _directive_namespaces("masakari-ha.rst") == _generator_namespaces(
        "masakari-ha-config-generator.conf")
    # oslo.log is documented once, on the service page (same options).
    monitors = [ns for ns in _generator_namespaces("monitors-config-generator.conf") if ns != "oslo.log"]
    assert _directive_namespaces("monitors.rst") == monitors


def test_every_policy_rule_is_in_the_reference(built):
    from masakari_ha.api import policies

    text = page_text(built / "configuration" / "policy.html")
    names = [rule.name for rule in policies.list_rules()]
    assert len(names) > 10
    missing = [name for name in names if name not in text]
    assert not missing, f"policy rules missing from configuration/policy: {missing}"


def test_engine_messages_are_found():
    templates = engine_messages.message_templates()
    texts = {t.text for t in templates}
    # Known anchors: if these vanish the extraction broke, not the engine.
    assert "Recovery aboart: the segment HA is disabled." in texts
    assert any(t.startswith("Fencing check failed for host ") for t in texts)
    assert any(t.startswith("Skipped host '") for t in texts)
    assert len(templates) >= 15


def test_every_engine_message_is_in_troubleshooting(built):
    text = page_text(built / "troubleshooting.html")
    missing = [f"{t.where}: {t.text}" for t in engine_messages.message_templates()
               if not t.regex().search(text)]
    assert not missing, ("engine messages not documented in doc/source/troubleshooting.rst:\n"
                         + "\n".join(missing))


def test_template_matching_is_strict():
    template = engine_messages.Template("No reserved_hosts available for evacuation of host {}.", "x")
    assert template.regex().search("No reserved_hosts available for evacuation of host <host>.")
    assert not template.regex().search("No reserved hosts available for evacuation of host <host>.")
    assert not template.regex().search("No reserved_hosts available for evacuation of host .")


def test_metrics_page_exists_exactly_when_metrics_do():
    modules = [p for p in (REPO / "masakari_ha").rglob("metrics*.py")]
    modules += [p for p in (REPO / "monitors").rglob("metrics*.py")]
    page = SOURCE / "metrics.rst"
    if modules:
        assert page.is_file(), f"metrics modules {modules} exist but doc/source/metrics.rst does not"
    else:
        assert not page.exists(), "doc/source/metrics.rst documents metrics no module provides"


#: The modules that create Prometheus metrics: the services' and the compute-node monitors'.
METRIC_MODULES = (REPO / "masakari_ha" / "metrics.py", REPO / "monitors" / "metrics.py")


def _declared_metrics() -> list[tuple[str, str, list[str]]]:
    """(exposed name, kind, labels) of every metric the METRIC_MODULES create."""
    import ast

    found = []
    nodes = [node for module in METRIC_MODULES if module.is_file()
             for node in ast.walk(ast.parse(module.read_text()))]
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("Counter", "Gauge", "Histogram", "Summary"):
            name = node.args[0].value
            labels = []
            if len(node.args) > 2 and isinstance(node.args[2], (ast.List, ast.Tuple)):
                labels = [element.value for element in node.args[2].elts]
            exposed = name + "_total" if node.func.id == "Counter" else name
            found.append((exposed, node.func.id, labels))
    return found


def test_every_metric_and_label_is_documented(built):
    if not (REPO / "masakari_ha" / "metrics.py").is_file():
        pytest.skip("no masakari_ha/metrics.py: there are no metrics to document")
    declared = _declared_metrics()
    assert len(declared) >= 5
    if (REPO / "monitors" / "metrics.py").is_file():   # the monitors' own were read too
        assert "masakari_ha_monitor_notifications_sent_total" in [d[0] for d in declared]
    text = page_text(built / "metrics.html")
    for name, _kind, labels in declared:
        assert name in text, f"metric {name} is not in doc/source/metrics.rst"
        for label in labels:
            assert f"``{label}``" in (SOURCE / "metrics.rst").read_text(), (
                f"label {label} of {name} is not in doc/source/metrics.rst")


#: ``[group] option`` references in the docs that are deliberately not ours: upstream's
#: options that masakari_ha dropped, and oslo libraries' options.
NOT_OURS = {("taskflow", "connection"), ("oslo_policy", "policy_file")}


def test_option_references_in_the_docs_exist():
    from masakari_ha.conf import opts as service_opts
    from monitors.conf import opts as monitor_opts

    known = set()
    for list_opts in (service_opts.list_opts, monitor_opts.list_opts):
        for group, group_opts in list_opts():
            name = group.name if isinstance(group, cfg.OptGroup) else (group or "DEFAULT")
            known.update((name, opt.dest) for opt in group_opts)
    referenced = set()
    for rst in SOURCE.rglob("*.rst"):
        for group, option in re.findall(r"``\[(\w+)\] (\w+)``", rst.read_text()):
            referenced.add((group, option, rst.name))
    assert len(referenced) > 20
    unknown = sorted(r for r in referenced if r[:2] not in known and r[:2] not in NOT_OURS)
    assert not unknown, f"the docs name options that do not exist: {unknown}"

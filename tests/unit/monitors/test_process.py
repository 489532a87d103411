"""process_list.yaml validation and exact /proc matching (pure parts of the process monitor)."""

import pytest

from monitors.process import proc, processlist


def test_upstream_format_with_strings_and_lists():
    specs = processlist.parse([
        {"process_name": "/usr/sbin/libvirtd", "start_command": "systemctl start libvirtd",
         "pre_start_command": "", "post_start_command": "",
         "restart_command": ["systemctl", "restart", "libvirtd"],
         "pre_restart_command": "", "post_restart_command": "", "run_as_root": True},
        {"process_name": "/usr/bin/python3 /usr/bin/nova-compute",
         "restart_command": "sh -c 'echo a; echo b'"},
    ])
    assert specs[0].restart_command == ("systemctl", "restart", "libvirtd")
    assert specs[0].start_command == ("systemctl", "start", "libvirtd")
    assert specs[0].pre_start_command == () and specs[0].run_as_root
    assert specs[1].restart_command == ("sh", "-c", "echo a; echo b")
    assert specs[1].short_name == "nova-compute"
    assert specs[1].match_argv == ("/usr/bin/python3", "/usr/bin/nova-compute")


@pytest.mark.parametrize("doc,msg", [
    ({"process_name": "x"}, "YAML list"),
    (["x"], "mapping"),
    ([{"restart_command": "true"}], "process_name"),
    ([{"process_name": "x"}], "restart_command is required"),
    ([{"process_name": "x", "restart_command": {"a": 1}}], "string or a list"),
    ([{"process_name": "x", "restart_command": "true", "run_as_root": "yes"}], "run_as_root"),
    ([{"process_name": "x", "restart_command": "echo 'unterminated"}], "cannot split"),
])
def test_bad_lists_give_clear_errors(doc, msg):
    with pytest.raises(processlist.ProcessListError, match=msg):
        processlist.parse(doc)


def test_load_missing_and_invalid_yaml(tmp_path):
    with pytest.raises(processlist.ProcessListError, match="does not exist"):
        processlist.load(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("- [unclosed")
    with pytest.raises(processlist.ProcessListError, match="bad.yaml"):
        processlist.load(str(bad))


P = proc.ProcInfo


@pytest.mark.parametrize("pattern,info,expected", [
    (("/usr/sbin/libvirtd",), P(1, ("/usr/sbin/libvirtd", "-d"), "/usr/sbin/libvirtd"), True),
    (("/usr/sbin/libvirtd",), P(1, ("libvirtd",), "/usr/sbin/libvirtd"), True),   # via exe
    (("/usr/sbin/libvirtd",), P(1, ("grep", "/usr/sbin/libvirtd"), "/usr/bin/grep"), False),
    (("/usr/sbin/libvirtd",), P(1, ("/usr/sbin/libvirtd-helper",), "/x"), False),
    (("python3", "/usr/bin/nova-compute"), P(1, ("python3", "/usr/bin/nova-compute", "--c"), None), True),
    (("python3", "/usr/bin/nova-compute"), P(1, ("python3", "/usr/bin/nova-api"), None), False),
    (("python3", "/usr/bin/nova-compute"), P(1, ("vi", "python3", "/usr/bin/nova-compute"), None), False),
    ((), P(1, ("x",), None), False),
])
def test_exact_match_not_substring(pattern, info, expected):
    assert proc.matches(pattern, info) is expected


def test_shipped_sample_is_valid():
    import pathlib
    sample = pathlib.Path(__file__).resolve().parents[3] / "etc" / "process_list.yaml.sample"
    specs = processlist.load(str(sample))
    assert [s.short_name for s in specs] == ["libvirtd", "nova-compute",
                                             "masakari-ha-instancemonitor",
                                             "masakari-ha-hostmonitor"]
    assert specs[1].restart_command == ("systemctl", "restart", "nova-compute")

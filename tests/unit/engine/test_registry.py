"""Task lists in upstream's syntax resolve through the entry point namespace."""

import pytest

from masakari_ha.engine import registry
from masakari_ha.engine.tasks import host, instance, process
from masakari_ha.engine.tasks.base import Noop

UPSTREAM_NAMES = {
    "disable_compute_service_task": host.DisableComputeServiceTask,
    "prepare_HA_enabled_instances_task": host.PrepareHAEnabledInstancesTask,
    "evacuate_instances_task": host.EvacuateInstancesTask,
    "stop_instance_task": instance.StopInstanceTask,
    "start_instance_task": instance.StartInstanceTask,
    "confirm_instance_active_task": instance.ConfirmInstanceActiveTask,
    "disable_compute_node_task": process.DisableComputeNodeTask,
    "confirm_compute_node_disabled_task": process.ConfirmComputeNodeDisabledTask,
    "no_op": Noop,
}


@pytest.mark.parametrize("name,cls", sorted(UPSTREAM_NAMES.items()))
def test_upstream_builtin_names_resolve(name, cls):
    assert registry.task_class(name) is cls


def test_unknown_task_names_the_namespaces():
    with pytest.raises(registry.UnknownTask, match="'nope'.*masakari_ha.task_flow.tasks"):
        registry.task_class("nope")


def test_parse_upstream_ini_syntax():
    # What oslo.config's DictOpt makes of
    # pre:['stop_instance_task'],main:['start_instance_task'],post:['confirm_instance_active_task']
    value = {"pre": "['stop_instance_task']", "main": "['start_instance_task', 'no_op']", "post": "[]"}
    assert registry.parse_stages(value) == {
        "pre": ["stop_instance_task"], "main": ["start_instance_task", "no_op"], "post": []}


def test_parse_defaults_lists_and_missing_stages():
    assert registry.parse_stages({"main": ["no_op"]}) == {"pre": [], "main": ["no_op"], "post": []}


@pytest.mark.parametrize("value,match", [
    ({"pre": "[stop_instance_task"}, "not a list"),
    ({"during": "['no_op']"}, "unknown stage"),
])
def test_parse_rejects_bad_values(value, match):
    with pytest.raises(ValueError, match=match):
        registry.parse_stages(value)


def test_build_stages_constructs_with_upstream_contract():
    stages = registry.build_stages({"pre": ["no_op"], "main": [], "post": []}, "ctx", "nova",
                                   update_host_method=None)
    task = stages["pre"][0]
    assert isinstance(task, Noop)
    assert (task.context, task.novaclient, task.name) == ("ctx", "nova", "Noop")

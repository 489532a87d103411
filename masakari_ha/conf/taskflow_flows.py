"""``[taskflow_driver_recovery_flows]``: the task lists of every recovery flow.

Upstream's option names, defaults and syntax (a dict with keys pre, main, post, each a list
of task names), e.g.::

    instance_failure_recovery_tasks = pre:['stop_instance_task'],main:['start_instance_task'],post:['confirm_instance_active_task']

Task names resolve through the entry point namespace ``masakari_ha.task_flow.tasks``
(upstream's ``masakari.task_flow.tasks`` is searched too), so third-party packages can add
their own tasks.
"""

from oslo_config import cfg, types

# Upstream's type: a dict of stage -> bracketed list of quoted task names.
TASK_LISTS = types.Dict(value_type=types.List(bounds=True, item_type=types.String(quotes=True)))

taskflow_group = cfg.OptGroup(
    "taskflow_driver_recovery_flows",
    title="Recovery flow task lists",
    help="Tasks run by each recovery flow, in three linear stages pre, main and post.",
)

taskflow_opts = [
    cfg.Opt(
        type=TASK_LISTS,
        name="host_auto_failure_recovery_tasks",
        default={
            "pre": ["disable_compute_service_task"],
            "main": ["prepare_HA_enabled_instances_task"],
            "post": ["evacuate_instances_task"],
        },
        help="Tasks of the host failure flow with recovery method 'auto' (and the auto phase "
        "of the priority methods).",
    ),
    cfg.Opt(
        type=TASK_LISTS,
        name="host_rh_failure_recovery_tasks",
        default={
            "pre": ["disable_compute_service_task"],
            "main": ["prepare_HA_enabled_instances_task", "evacuate_instances_task"],
            "post": [],
        },
        help="Tasks of the host failure flow with recovery method 'reserved_host' (and the "
        "reserved-host phase of the priority methods).",
    ),
    cfg.Opt(
        type=TASK_LISTS,
        name="instance_failure_recovery_tasks",
        default={
            "pre": ["stop_instance_task"],
            "main": ["start_instance_task"],
            "post": ["confirm_instance_active_task"],
        },
        help="Tasks of the instance (VM) failure flow.",
    ),
    cfg.Opt(
        type=TASK_LISTS,
        name="process_failure_recovery_tasks",
        default={
            "pre": ["disable_compute_node_task"],
            "main": ["confirm_compute_node_disabled_task"],
            "post": [],
        },
        help="Tasks of the process (nova-compute) failure flow.",
    ),
]


def register_opts(conf):
    conf.register_group(taskflow_group)
    conf.register_opts(taskflow_opts, group=taskflow_group)


def list_opts():
    return [(taskflow_group.name, taskflow_opts)]

"""TaskFlow tasks of the recovery flows: each one Nova verb plus its confirmation.

Every task checks Nova's current state before acting, so running it again after a crash or
a retry never repeats a side effect. Tasks are found by name through the entry point
namespace ``masakari_ha.task_flow.tasks`` (see :mod:`masakari_ha.engine.registry`).
"""

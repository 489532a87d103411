"""The base of every recovery task: upstream's constructor contract and progress reporting."""

import logging

from taskflow import task

from masakari_ha.engine import progress_writer
from masakari_ha.engine.control import RunControl

LOG = logging.getLogger(__name__)


class MasakariTask(task.Task):
    """A task constructed as upstream's: ``(context, novaclient, **kwargs)``.

    ``kwargs`` carries ``control`` (the notification's :class:`RunControl`) and, for host
    flows, ``update_host_method``. The atom name is the class name, which is what
    ``recovery_workflow_details`` shows.
    """

    default_provides = None

    def __init__(self, context, novaclient, **kwargs):
        super().__init__(name=kwargs.pop("name", self.__class__.__name__))
        self.context = context
        self.novaclient = novaclient
        self.control: RunControl = kwargs.get("control") or RunControl("")
        self.update_host_method = kwargs.get("update_host_method")

    @property
    def notification_uuid(self) -> str:
        return self.control.notification_uuid

    def update_details(self, message: str, progress: float = 0.0) -> None:
        """Append ``message`` to this task's progress (upstream's format) and log it.

        The message goes to our progress table (what ``recovery_workflow_details`` shows),
        queued to the notification's writer. TaskFlow's own atom progress is not updated:
        nothing reads it, and each update was a synchronous write of the atom detail on the
        task's path (a host recovery sends a dozen of them before its first evacuation).
        """
        LOG.info("Notification %s, %s: %s", self.notification_uuid, self.name, message)
        if self.notification_uuid:
            progress_writer.record(self.control, self.name, message=message, progress=progress,
                                   order=self.control.progress_order)

    def revert(self, *args, **kwargs):
        """Nothing to undo: every step left Nova in a state a retry continues from."""


class Noop(MasakariTask):
    """Upstream's ``no_op``: logs and returns, a placeholder in custom task lists."""

    def execute(self, **kwargs):
        self.update_details("Custom task executed successfully.", 1.0)

"""The exception tree shared by the API, the engine and the database layer.

::

    MasakariHAError                     code 500
    ├── Invalid                         code 400   (bad input; message names the field)
    │   ├── MarkerNotFound, InvalidSortKey, HostNotFoundByName, ComputeNotFound, ...
    ├── Forbidden                       code 403
    ├── NotFound                        code 404
    │   ├── FailoverSegmentNotFound, HostNotFound, NotificationNotFound, VMoveNotFound
    ├── Conflict                        code 409
    │   ├── FailoverSegmentExists, HostExists, FailoverSegmentInUse, HostInUse,
    │   ├── HostOnMaintenance, DuplicateNotification
    └── ServiceUnavailable              code 503

Every exception carries the HTTP ``code`` the API answers with and a message fit to show
an operator, so the API turns any of them into a fault body without guessing.
"""


class MasakariHAError(Exception):
    """Base of every error masakari_ha raises on purpose."""

    code = 500
    msg_fmt = "An unknown error occurred."

    def __init__(self, message: str | None = None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                message = self.msg_fmt
        self.message = message
        super().__init__(message)


class Invalid(MasakariHAError):
    code = 400
    msg_fmt = "Invalid input: %(reason)s"


class InvalidInput(Invalid):
    msg_fmt = "Invalid input received: %(reason)s"


class MarkerNotFound(Invalid):
    msg_fmt = "Marker %(marker)s could not be found."


class InvalidSortKey(Invalid):
    msg_fmt = "Sort key supplied is invalid: %(sort_key)s"


class HostNotFoundByName(Invalid):
    """A notification names a host that no segment knows: upstream answers 400."""

    msg_fmt = "Host with name %(host_name)s could not be found."


class ComputeNotFound(Invalid):
    """A host name that Nova has no nova-compute service for: upstream answers 400."""

    msg_fmt = "No compute service with host name %(host_name)s exists in Nova."


class NotificationWithoutVMoves(Invalid):
    msg_fmt = "This notification %(notification_uuid)s without vm moves."


class InvalidAPIVersion(Invalid):
    msg_fmt = "API Version String %(version)s is of invalid format. Must be of format MajorNum.MinorNum."


class Unauthorized(MasakariHAError):
    code = 401
    msg_fmt = "Not authorized."


class Forbidden(MasakariHAError):
    code = 403
    msg_fmt = "Forbidden"


class PolicyNotAuthorized(Forbidden):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class NotFound(MasakariHAError):
    code = 404
    msg_fmt = "Resource could not be found."


class FailoverSegmentNotFound(NotFound):
    msg_fmt = "No failover segment with id %(id)s."


class HostNotFound(NotFound):
    msg_fmt = "No host with id %(id)s."


class NotificationNotFound(NotFound):
    msg_fmt = "No notification with id %(id)s."


class VMoveNotFound(NotFound):
    msg_fmt = "No vmove with id %(id)s."


class NotAcceptable(MasakariHAError):
    code = 406
    msg_fmt = "Version %(version)s is not supported by the API. Minimum is %(min_ver)s and maximum is %(max_ver)s."


class Conflict(MasakariHAError):
    code = 409
    msg_fmt = "Conflict: %(reason)s"


class FailoverSegmentExists(Conflict):
    msg_fmt = "Failover segment with name %(name)s already exists."


class HostExists(Conflict):
    msg_fmt = "Host with name %(name)s already exists."


class FailoverSegmentInUse(Conflict):
    msg_fmt = (
        "Failover segment %(uuid)s can't be updated as it is in-use to process notifications."
    )


class HostInUse(Conflict):
    msg_fmt = "Host %(uuid)s can't be updated as it is in-use to process notifications."


class HostOnMaintenance(Conflict):
    msg_fmt = (
        "Notification received from host %(host_name)s of type '%(type)s' is ignored as the "
        "host is already under maintenance."
    )


class DuplicateNotification(Conflict):
    msg_fmt = "Notification received from host %(host)s of type %(type)s is duplicate."


class RequestTooLarge(MasakariHAError):
    code = 413
    msg_fmt = "Request is too large."


class ServiceUnavailable(MasakariHAError):
    code = 503
    msg_fmt = "Service unavailable: %(reason)s"

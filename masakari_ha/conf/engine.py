"""Engine options: upstream's ``[DEFAULT]`` timings plus the ``[engine]`` group for claiming,
leases and concurrency (which upstream does not have)."""

import socket

from oslo_config import cfg

# Upstream Masakari's names and defaults, same meaning unless the help says otherwise.
default_opts = [
    cfg.IntOpt(
        "wait_period_after_service_update",
        default=180,
        min=0,
        mutable=True,
        help="Seconds to wait for Nova to confirm a compute service change (disabled, forced "
        "down, enabled). Upstream slept this long unconditionally after disabling the service; "
        "here it is only the upper bound of polling for the real condition.",
    ),
    cfg.IntOpt(
        "wait_period_after_evacuation",
        default=90,
        min=0,
        mutable=True,
        help="Seconds to wait for one evacuation to be confirmed (migration record done and the "
        "guest on another host).",
    ),
    cfg.FloatOpt(
        "verify_interval",
        default=1,
        min=0.01,
        mutable=True,
        help="Seconds between two polls of Nova while waiting for a condition.",
    ),
    cfg.IntOpt(
        "wait_period_after_power_off",
        default=180,
        min=0,
        mutable=True,
        help="Seconds to wait for an instance to reach 'stopped'.",
    ),
    cfg.IntOpt(
        "wait_period_after_power_on",
        default=60,
        min=0,
        mutable=True,
        help="Seconds to wait for an instance to reach 'active'.",
    ),
    cfg.IntOpt(
        "process_unfinished_notifications_interval",
        default=120,
        min=1,
        help="Seconds between two retries of notifications in 'error' (each gets one retry).",
    ),
    cfg.IntOpt(
        "retry_notification_new_status_interval",
        default=60,
        min=0,
        mutable=True,
        help="Age in seconds after which a notification still 'new' (its RPC cast was lost) is "
        "picked up by the sweep of any engine.",
    ),
    cfg.IntOpt(
        "check_expired_notifications_interval",
        default=600,
        min=1,
        help="Seconds between two checks for expired notifications.",
    ),
    cfg.IntOpt(
        "notifications_expired_interval",
        default=86400,
        min=1,
        mutable=True,
        help="Age (by generated_time) after which a new/running/error notification becomes "
        "'failed'.",
    ),
    cfg.IntOpt(
        "host_failure_recovery_threads",
        default=128,
        min=1,
        mutable=True,
        help="Guests of one failed host evacuated in parallel (plain threads; upstream used 3 "
        "green threads). The default lets a compute host with up to 128 guests be evacuated in "
        "one wave, as Nova's own 'nova host-evacuate' sends every evacuation of a host at once: "
        "nova-api only accepts the requests, the scheduler spreads them and the rebuilds run "
        "on many destination computes. Also bounded by [engine] max_concurrent_evacuations, "
        "max_evacuations_per_segment and max_evacuations_per_target_host.",
    ),
]

engine_group = cfg.OptGroup(
    "engine",
    title="Recovery engine",
    help="Claiming, leases, sweeps and concurrency of masakari-ha-engine.",
)

engine_opts = [
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this engine: RPC server name and prefix of the owner id written on "
        "claimed notifications.",
    ),
    cfg.IntOpt(
        "lease_duration",
        default=60,
        min=3,
        help="Seconds a claim on a notification stays valid without renewal. An engine renews "
        "its leases every third of this; when an engine dies, another resumes its work once "
        "the lease expired.",
    ),
    cfg.IntOpt(
        "sweep_interval",
        default=10,
        min=1,
        mutable=True,
        help="Seconds between two sweeps for notifications whose lease expired or whose cast "
        "was lost.",
    ),
    cfg.IntOpt(
        "nova_retry_timeout",
        default=60,
        min=0,
        mutable=True,
        help="Seconds a Nova call that failed transiently (5xx, timeout, connection error) is "
        "repeated every verify_interval before the step fails. Evacuate calls are never "
        "repeated blindly: Nova's evacuation record is checked first.",
    ),
    cfg.IntOpt(
        "workers",
        default=64,
        min=1,
        help="Notifications one engine processes at the same time (a notification waiting for "
        "an evacuation slot holds a worker thread, nothing more).",
    ),
    cfg.IntOpt(
        "max_concurrent_evacuations",
        default=384,
        min=1,
        mutable=True,
        help="Evacuations in flight at once in this engine, across all notifications (from the "
        "evacuate call until Nova confirmed it; restoring the power state afterwards does not "
        "count). The default is three full hosts of 128 guests; lower it when nova-conductor "
        "or the scheduler of a small control plane cannot take that many rebuilds at once.",
    ),
    cfg.IntOpt(
        "max_evacuations_per_segment",
        default=0,
        min=0,
        mutable=True,
        help="Evacuations in flight at once in this engine for one failover segment, across "
        "all its failed hosts (0: no bound besides max_concurrent_evacuations). A segment is "
        "usually one failure domain whose surviving hosts receive the evacuated guests; bound "
        "it when they must not rebuild more than this many guests at a time while several of "
        "the segment's hosts fail together. Each engine counts its own evacuations.",
    ),
    cfg.FloatOpt(
        "evacuation_poll_interval",
        default=0.25,
        min=0.05,
        mutable=True,
        help="Seconds between two reads of a failed host's evacuation records while its "
        "evacuations are in flight (half of it once one of them finished: they finish in a "
        "wave, and its last ones are what the recovery waits for). One round is one "
        "os-migrations list per failed host, "
        "whatever its number of guests, plus one GET per guest whose record turned done; so "
        "Nova's load does not grow with the guests, and a guest is confirmed at most this long "
        "after Nova finished it. An engine sends at most 4 such lists at once and 20 per "
        "second, so with many failed hosts the rounds space out instead of multiplying the "
        "load. verify_interval still paces every other wait.",
    ),
    cfg.IntOpt(
        "max_evacuations_per_target_host",
        default=32,
        min=1,
        mutable=True,
        help="Evacuations in flight at once towards one chosen target host (reserved hosts). "
        "Half of nova-compute's RPC worker pool (64 by default): more would only queue in the "
        "message broker, and the other half stays free for the host's other work.",
    ),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_group(engine_group)
    conf.register_opts(engine_opts, group=engine_group)


def list_opts():
    return [("DEFAULT", default_opts), (engine_group.name, engine_opts)]

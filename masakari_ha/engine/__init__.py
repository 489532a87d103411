"""The recovery engine: claims notifications, runs persisted TaskFlow flows against Nova.

How one notification travels through it::

    RPC cast process_notification(uuid)  ─┐        (endpoint.py: hand to the worker pool)
    sweep: lost casts, expired leases,    ─┴─► processor.py: claim in the DB (db/claims.py,
           errors due for their one retry          status running + owner + lease), lease
                                                   renewed by service.py's keeper thread
        ├─ COMPUTE_HOST  flows/host_failure.py: gates.py (mass failure, fencing) → phases of
        │                the recovery method → executor.py runs pre/main/post tasks
        │                (tasks/host.py; evacuation.py per guest, planning.py decides)
        ├─ VM            flows/instance_failure.py → tasks/instance.py
        └─ PROCESS       flows/process_failure.py → tasks/process.py
        STARTED with [host_failure] auto_recover_host → flows/host_recovery.py
    → status finished | ignored | error (status.py's table), vmoves and progress rows as it went

Crash safety: TaskFlow persists every flow in our database (logbook = notification uuid),
so an engine that takes over an expired lease resumes at the first task that did not
finish; inside a task every step checks Nova first (evacuation records decide whether an
evacuate was already sent), so nothing is evacuated, stopped or started twice.

Entry point for embedding (``masakari-ha-all``): :class:`masakari_ha.engine.service.EngineService`.
"""

"""Claims and leases on a real (SQLite) database: one owner per notification, one host
recovery per host, expired leases taken over, sweeps find lost and orphaned work."""

import datetime
import threading

import pytest
import sqlalchemy as sa

from masakari_ha.db import claims
from masakari_ha.db import session as db_session
from masakari_ha.db.models import Notification
from tests.functional.engine.conftest import STOPPED


@pytest.fixture
def host(seed):
    seg = seed.segment()
    return seg, seed.host(seg, "compute-1")


def _set(uuid, **values):
    with db_session.transaction(write=True) as s:
        s.execute(sa.update(Notification).where(Notification.notification_uuid == uuid).values(**values))


def _age(seconds):
    return claims.utcnow() - datetime.timedelta(seconds=seconds)


def test_claim_sets_owner_lease_and_attempt(seed, host):
    seg, h = host
    uuid = seed.notification(h, seg, "VM", {"event": "LIFECYCLE"})
    claim = claims.claim(uuid, "engine-a", 60)
    row = seed.get(uuid)
    assert (row.status, row.owner, row.attempts) == ("running", "engine-a", 1)
    assert row.lease_expires_at > claims.utcnow()
    assert claim.host_name == "compute-1" and claim.recovery_method == "auto"


def test_only_one_of_many_concurrent_claimers_wins(seed, host):
    seg, h = host
    uuid = seed.notification(h, seg, "VM", {"event": "LIFECYCLE"})
    winners, barrier = [], threading.Barrier(8)

    def race(name):
        barrier.wait()
        try:
            claims.claim(uuid, name, 60)
            winners.append(name)
        except claims.ClaimRefused:
            pass

    threads = [threading.Thread(target=race, args=(f"engine-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert seed.get(uuid).owner == winners[0]


def test_live_lease_refuses_and_expired_lease_is_taken_over(seed, host):
    seg, h = host
    uuid = seed.notification(h, seg, "VM", {"event": "LIFECYCLE"})
    claims.claim(uuid, "engine-a", 60)
    with pytest.raises(claims.ClaimRefused, match="held by engine-a"):
        claims.claim(uuid, "engine-b", 60)
    _set(uuid, lease_expires_at=_age(1))
    claim = claims.claim(uuid, "engine-b", 60)
    assert claim.previous_status == "running"
    assert seed.get(uuid).attempts == 1  # a takeover is not a new attempt
    assert not claims.finish(uuid, "engine-a", "finished", None)  # the dead owner cannot finish
    assert claims.finish(uuid, "engine-b", "finished", None)
    assert seed.get(uuid).status == "finished"


def test_one_host_recovery_per_host_at_a_time(seed, host):
    seg, h = host
    first = seed.notification(h, seg, "COMPUTE_HOST", STOPPED)
    second = seed.notification(h, seg, "COMPUTE_HOST", dict(STOPPED, cluster_status="ONLINE"))
    claims.claim(first, "engine-a", 60)
    with pytest.raises(claims.ClaimRefused, match=f"{first} of the same host is running"):
        claims.claim(second, "engine-b", 60)
    claims.finish(first, "engine-a", "finished", None)
    claims.claim(second, "engine-b", 60)


def test_renew_keeps_only_own_running_claims(seed, host):
    seg, h = host
    mine = seed.notification(h, seg, "VM", {"event": "a"})
    theirs = seed.notification(h, seg, "VM", {"event": "b"})
    claims.claim(mine, "engine-a", 1)
    claims.claim(theirs, "engine-b", 60)
    assert claims.renew("engine-a", [mine, theirs], 120) == {mine}
    assert seed.get(mine).lease_expires_at > claims.utcnow() + datetime.timedelta(seconds=100)


def test_terminal_notifications_cannot_be_claimed(seed, host):
    seg, h = host
    uuid = seed.notification(h, seg, "VM", {"event": "a"})
    claims.claim(uuid, "engine-a", 60)
    claims.finish(uuid, "engine-a", "ignored", "no")
    with pytest.raises(claims.ClaimRefused, match="status is ignored"):
        claims.claim(uuid, "engine-b", 60)


def test_sweep_finds_lost_casts_orphans_and_retries(seed, host):
    seg, h = host
    fresh = seed.notification(h, seg, "VM", {"event": "fresh"})
    lost = seed.notification(h, seg, "VM", {"event": "lost"})
    _set(lost, created_at=_age(120))
    orphan = seed.notification(h, seg, "VM", {"event": "orphan"})
    claims.claim(orphan, "dead-engine", 60)
    _set(orphan, lease_expires_at=_age(5))
    retry = seed.notification(h, seg, "VM", {"event": "retry"})
    claims.claim(retry, "engine-a", 60)
    claims.finish(retry, "engine-a", "error", "boom")
    _set(retry, updated_at=_age(300))
    exhausted = seed.notification(h, seg, "VM", {"event": "exhausted"})
    _set(exhausted, status="error", attempts=2, message="boom")

    found = claims.find_resumable(new_age_seconds=60, retry_age_seconds=120, max_attempts=2)
    assert set(found) == {lost, orphan, retry}
    assert fresh not in found
    assert claims.fail_exhausted(2) == [exhausted]
    row = seed.get(exhausted)
    assert row.status == "failed" and "Last error: boom" in row.message


def test_expired_notifications_fail(seed, host):
    seg, h = host
    old = seed.notification(h, seg, "VM", {"event": "old"}, generated_time=_age(90000))
    young = seed.notification(h, seg, "VM", {"event": "young"})
    assert claims.fail_expired(86400) == [old]
    assert seed.get(old).status == "failed"
    assert seed.get(young).status == "new"

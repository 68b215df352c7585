"""SpawnPolicy: prefork's perform_idle_server_maintenance as a pure function."""

from apyche.process.spawn import MAX_SPAWN_RATE, SpawnPolicy


def ticks(policy, n, **kw):
    return [policy.tick(**kw) for _ in range(n)]


def test_doubles_up_to_32_while_short_of_spares():
    p = SpawnPolicy(min_spare=1000, max_spare=2000, mpm="prefork")
    spawned = [d.spawn for d in ticks(p, 8, idle=0, free_process_slots=10_000, active=1)]
    assert spawned == [1, 2, 4, 8, 16, 32, 32, 32]
    assert MAX_SPAWN_RATE == 32


def test_rate_resets_when_spares_are_met():
    p = SpawnPolicy(min_spare=5, max_spare=10)
    assert [d.spawn for d in ticks(p, 3, idle=0, free_process_slots=100, active=1)] == [1, 2, 4]
    assert p.tick(idle=5, free_process_slots=100, active=8).spawn == 0
    assert p.rate == 1
    assert p.tick(idle=0, free_process_slots=100, active=8).spawn == 1


def test_never_more_than_free_slots():
    p = SpawnPolicy(min_spare=100, max_spare=200)
    p.rate = 16
    d = p.tick(idle=0, free_process_slots=3, active=5)
    assert d.spawn == 3


def test_busy_message_when_more_than_four_per_second():
    p = SpawnPolicy(min_spare=100, max_spare=200, mpm="prefork")
    msgs = [d.messages for d in ticks(p, 5, idle=0, free_process_slots=100, active=3)]
    assert msgs[:3] == [[], [], []]           # 1, 2, 4: quiet
    level, code, text = msgs[3][0]            # 8: AH00162 at info
    assert (level, code) == ("info", "AH00162")
    assert text.startswith("server seems busy, (you may need to increase StartServers, "
                           "or Min/MaxSpareServers), spawning 8 children, there are 0 idle")
    p = SpawnPolicy(min_spare=100, max_spare=200, mpm="event")
    msgs = [d.messages for d in ticks(p, 4, idle=0, free_process_slots=100, active=3)]
    assert msgs[3][0][1] == "AH00486"


def test_max_request_workers_reported_once():
    p = SpawnPolicy(min_spare=10, max_spare=20, mpm="prefork")
    d1 = p.tick(idle=0, free_process_slots=0, active=256)
    d2 = p.tick(idle=0, free_process_slots=0, active=256)
    assert d1.spawn == d2.spawn == 0
    assert d1.messages == [("error", "AH00161", "server reached MaxRequestWorkers setting, "
                            "consider raising the MaxRequestWorkers setting")]
    assert d2.messages == []
    assert SpawnPolicy(1, 2, "event").tick(idle=0, free_process_slots=0, active=1).messages[0][1] \
        == "AH00484"


def test_too_many_idle_retires_one():
    p = SpawnPolicy(min_spare=5, max_spare=10)
    p.rate = 8
    d = p.tick(idle=11, free_process_slots=5, active=11)
    assert (d.retire, d.spawn, p.rate) == (1, 0, 1)


def test_graceful_restart_holds_off_doubling():
    p = SpawnPolicy(min_spare=100, max_spare=200)
    p.graceful_restart(2)
    spawned = [d.spawn for d in ticks(p, 4, idle=0, free_process_slots=100, active=1)]
    assert spawned == [1, 1, 1, 2]

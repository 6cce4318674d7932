"""Followers of the event log wake when events are recorded, not when a poll comes round; a batch
is read and decoded once for every projection; process steps commit their position once per batch.

Every wake-up test sets the poll interval to 60 seconds and waits at most a few for its condition:
only a wake-up (PostgreSQL's NOTIFY from another system on the database — as another process
would write — or, on SQLite, the process's own write) can meet it in time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from farmgate.core.event_tail import EventTail, event_name_of
from farmgate.deploy.container import System, build_system
from farmgate.deploy.settings import Settings
from farmgate.graphql import live_feed
from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from tests.personal_data import PersonalData

#: longer than any test here waits: a test that passes was woken, not polled
SLOW_POLL = 60.0
#: how long a wake-up may take, at most, on a loaded machine
WAKE_TIMEOUT = 5.0


def _settings(url: str) -> Settings:
    return Settings(database_url=url, env="test", projection_wait_seconds=10, log_safety_poll_seconds=SLOW_POLL)


@contextmanager
def reader_and_writer(url: str) -> Iterator[tuple[System, System]]:
    """The system that follows the log, and the one that writes: on PostgreSQL two systems (two
    connection pools and listeners, as two processes have), on SQLite the same one (only the
    process's own writes wake its followers there; another process's are polled for)."""
    reader = build_system(_settings(url))
    writer = build_system(_settings(url)) if url.startswith("postgres") else reader
    try:
        if reader.listener is not None:
            assert reader.listener.listening.wait(WAKE_TIMEOUT), "the reader's listener should be listening"
        yield reader, writer
    finally:
        if writer is not reader:
            writer.close()
        reader.close()


def register(system: System, pd: PersonalData, n: int) -> Any:
    return system.app.register_household(name=f"Hộ số {n}", national_id=pd.national_id(), phone=pd.phone(),
                                         address={"scheme": 2021, "province_code": "24"})


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)  # polling a condition, with a deadline


def caught_up(system: System) -> bool:
    head = system.projector.head()
    return all(position >= head for position in system.projector.positions().values())


def test_a_write_wakes_the_projector_and_the_process_steps_without_waiting_for_the_poll(
        backend_url: str, personal_data: PersonalData) -> None:
    with reader_and_writer(backend_url) as (reader, writer):
        reader.projector.start(poll_interval=SLOW_POLL)
        reader.policies.start(poll_interval=SLOW_POLL)
        wait_until(lambda: caught_up(reader), WAKE_TIMEOUT, "the projector's first pass")
        for n in range(3):  # each write after the loops went back to sleep
            seen = reader.signals.recorded.count
            register(writer, personal_data, n)
            wait_until(lambda: reader.signals.recorded.count > seen, WAKE_TIMEOUT, "the write's wake-up")
            wait_until(lambda: caught_up(reader), WAKE_TIMEOUT, "the write to be projected")
            head = reader.projector.head()
            wait_until(lambda: all(reader.policies.position(p) >= head for p in reader.policies.policies),
                       WAKE_TIMEOUT, "the process steps to follow")
        rows, total = reader.households.page(after_position=0, limit=10)
        assert total == 3


def test_read_your_writes_wakes_when_another_process_projects(backend_url: str, personal_data: PersonalData) -> None:
    """The wait sleeps on the projector's progress notification: here the projector runs in the
    writer's system (another process's, on PostgreSQL), the wait in the reader's."""
    with reader_and_writer(backend_url) as (reader, writer):
        writer.projector.start(poll_interval=SLOW_POLL)
        register(writer, personal_data, 0)
        position = writer.app.last_saved_position()
        answer: list[list[str]] = []
        # Allowed to wait the whole slow poll; must be woken long before.
        waiting = threading.Thread(target=lambda: answer.append(reader.projector.wait_for(position, SLOW_POLL)))
        waiting.start()
        waiting.join(WAKE_TIMEOUT)
        assert not waiting.is_alive(), "the wait was not woken by the projection's progress"
        assert answer == [[]]


def test_a_subscription_wakes_on_a_write_without_waiting_for_the_poll(
        backend_url: str, personal_data: PersonalData, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_feed, "POLL_SECONDS", SLOW_POLL)
    with reader_and_writer(backend_url) as (reader, writer):
        ctx = Context(system=reader, request_id="test", principal=Principal(role="ADMIN", subject="tester"))
        tail = EventTail(reader.app)

        async def first_registration() -> Any:
            feed = live_feed.follow_log(ctx, tail, tail.head(), lambda n: event_name_of(n) == "Household.Registered")
            waiting = asyncio.ensure_future(feed.__anext__())
            # The feed has read the log and gone to sleep before the write: nothing to find yet.
            await asyncio.sleep(0)
            deadline = time.monotonic() + WAKE_TIMEOUT
            while not reader.signals.recorded._async_waiters and time.monotonic() < deadline:  # noqa: SLF001
                await asyncio.sleep(0.01)  # polling a condition, with a deadline
            assert not waiting.done()
            await asyncio.to_thread(register, writer, personal_data, 0)
            try:
                return await asyncio.wait_for(waiting, WAKE_TIMEOUT)
            finally:
                await feed.aclose()

        tailed = asyncio.run(first_registration())
        assert type(tailed.event).__qualname__ == "Household.Registered"
        assert tailed.position == reader.projector.head()


def test_each_event_of_a_batch_is_decoded_once_for_all_projections(
        system: System, personal_data: PersonalData) -> None:
    for n in range(12):
        register(system, personal_data, n)
    notifications = system.app.recorder.select_notifications(start=1, limit=1000)
    handled = set().union(*(p.handlers() for p in system.projector.projections))
    needed = [n for n in notifications if event_name_of(n) in handled]
    assert len(needed) >= 12 and len(system.projector.projections) > 1
    decode = system.app.mapper.to_domain_event
    decoded: list[int] = []

    def counting(notification: Any) -> Any:
        decoded.append(notification.id)
        return decode(notification)

    system.app.mapper.to_domain_event = counting  # type: ignore[method-assign]
    try:
        applied = system.projector.run_once()
    finally:
        del system.app.mapper.to_domain_event
    assert caught_up(system)
    assert applied >= len(notifications)  # every projection went through every event …
    assert sorted(decoded) == [n.id for n in needed]  # … and each needed event was decoded once, no other


def test_process_steps_commit_their_position_once_per_batch(system: System, personal_data: PersonalData) -> None:
    for n in range(15):
        register(system, personal_data, n)
    head = system.projector.head()
    runner = system.policies
    assert head < runner.batch_size  # one batch holds them all
    transaction = system.store.transaction
    commits: list[bool] = []

    @contextmanager
    def counting(commit: bool = True) -> Iterator[Any]:
        with transaction(commit=commit) as cur:
            yield cur
        commits.append(commit)

    system.store.transaction = counting  # type: ignore[method-assign]
    try:
        done = runner.run_once()
    finally:
        del system.store.transaction
    assert done == head * len(runner.policies)
    assert all(runner.position(p) == head for p in runner.policies)
    # one committed tracking update per policy for the whole batch (not one per event read)
    assert commits.count(True) == len(runner.policies)


def test_idle_postgres_followers_commit_next_to_no_transactions(postgres_url: str) -> None:
    """A projector's loops and 20 open subscriptions with nothing to do: polling cost ~40 transactions
    a second for the loops and 5 per subscription; woken by notifications they wait out the safety poll.
    Generous bound (a few a second) over a 5 s window of pg_stat_database; the rates are in `make bench`."""
    from tests.bench.pg import commits_over
    from tests.bench.wakeups import idle_subscriptions

    build_system(Settings(database_url=postgres_url, env="test")).close()  # tables, statistics flushed on exit
    system = build_system(Settings(database_url=postgres_url, env="test"), create_tables=False)
    try:
        system.projector.start()
        system.policies.start()
        with idle_subscriptions(system, 20):
            wait_until(lambda: caught_up(system), WAKE_TIMEOUT, "the first pass")
            commits_over(postgres_url, 1.0)  # the first passes and subscriptions' reads out of the way
            committed = commits_over(postgres_url, 5.0)
    finally:
        system.close()
    assert committed < 25, f"{committed} transactions committed in 5 s by idle followers"


def test_open_subscriptions_of_a_process_share_one_read_of_each_new_event(
        postgres_url: str, personal_data: PersonalData) -> None:
    """Ten subscriptions on one process: a write is read from the log and decoded once for all of
    them, not once each."""
    with reader_and_writer(postgres_url) as (reader, writer):
        assert reader.recent_log is not None
        ctx = Context(system=reader, request_id="test", principal=Principal(role="ADMIN", subject="tester"))
        tail = EventTail(reader.app, recent=reader.recent_log)
        select, decode = reader.app.recorder.select_notifications, reader.app.mapper.to_domain_event
        reads: list[int] = []
        decoded: list[int] = []

        def counting_select(*args: Any, **kwargs: Any) -> Any:
            reads.append(1)
            return select(*args, **kwargs)

        def counting_decode(notification: Any) -> Any:
            decoded.append(notification.id)
            return decode(notification)

        async def ten_subscribers() -> list[Any]:
            start = tail.head()
            feeds = [live_feed.follow_log(ctx, tail, start, lambda n: event_name_of(n) == "Household.Registered")
                     for _ in range(10)]
            waiting = [asyncio.ensure_future(feed.__anext__()) for feed in feeds]
            deadline = time.monotonic() + WAKE_TIMEOUT
            while len(reader.signals.recorded._async_waiters) < 10 and time.monotonic() < deadline:  # noqa: SLF001
                await asyncio.sleep(0.01)  # polling a condition, with a deadline
            reader.app.recorder.select_notifications = counting_select  # type: ignore[method-assign]
            reader.app.mapper.to_domain_event = counting_decode  # type: ignore[method-assign]
            await asyncio.to_thread(register, writer, personal_data, 0)
            try:
                return list(await asyncio.wait_for(asyncio.gather(*waiting), WAKE_TIMEOUT))
            finally:
                for feed in feeds:
                    await feed.aclose()

        try:
            received = asyncio.run(ten_subscribers())
        finally:
            del reader.app.recorder.select_notifications, reader.app.mapper.to_domain_event
        assert len({item.position for item in received}) == 1 and len(received) == 10
        assert len(decoded) == 1, decoded
        # One read per notification of the write at most (it may take more than one transaction), not ten.
        assert 1 <= len(reads) <= 3, len(reads)


def test_a_listener_whose_connection_was_cut_listens_again_and_wakes_its_followers(
        postgres_url: str, personal_data: PersonalData) -> None:
    import psycopg

    with reader_and_writer(postgres_url) as (reader, writer):
        assert reader.listener is not None
        reader.projector.start(poll_interval=SLOW_POLL)
        wait_until(lambda: caught_up(reader), WAKE_TIMEOUT, "the projector's first pass")
        connected = reader.listener.connections
        # The server ends the listening sessions (a restart, a failover, an idle-session reaper).
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                  " WHERE datname = current_database() AND application_name = 'farmgate-listener'").fetchone()
        assert ended is not None and ended[0] >= 1
        wait_until(lambda: reader.listener.connections > connected and reader.listener.listening.is_set(),
                   WAKE_TIMEOUT, "the listener to listen again")
        register(writer, personal_data, 0)
        wait_until(lambda: caught_up(reader) and reader.households.page(after_position=0, limit=5)[1] == 1,
                   WAKE_TIMEOUT, "the write to be projected")

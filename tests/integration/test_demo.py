"""`farmgate demo` in-process: a run cut short goes on where it stopped, and the story comes out the
same as told in one go (the numbers the README names included)."""

from __future__ import annotations

import pytest

from farmgate.deploy.container import build_system
from farmgate.deploy.demo import SPOILED_ORDER_NUMBER, Story, StoryClock, load_demo, tell
from farmgate.deploy.settings import Settings


class CutShort(Exception):
    """The process died here."""


class StoryCutShort(Story):
    """Stops (as a killed process would) before its ``limit``-th new step."""

    limit = 60

    def step(self, name, actor, at, command):  # type: ignore[no-untyped-def]
        if self.recorded == self.limit:
            raise CutShort(name)
        return super().step(name, actor, at, command)


def told_in_one_go() -> tuple[int, int]:
    """Steps and events of the whole story on a fresh in-memory database."""
    clock = StoryClock()
    system = build_system(Settings(database_url="memory://", env="test"), clock=clock)
    try:
        return load_demo(system, clock), int(system.app.recorder.max_notification_id() or 0)
    finally:
        system.close()


def test_a_demo_cut_short_resumes_where_it_stopped_and_tells_the_same_story(backend_url: str) -> None:
    steps, events = told_in_one_go()
    clock = StoryClock()
    system = build_system(Settings(database_url=backend_url, env="test"), clock=clock)
    try:
        with pytest.raises(CutShort):
            tell(StoryCutShort(system, clock))
        cut_at = int(system.app.recorder.max_notification_id() or 0)
        assert 0 < cut_at < events
        # Check the second run records only what the first did not, and nothing twice.
        assert load_demo(system, clock) == steps - StoryCutShort.limit
        assert int(system.app.recorder.max_notification_id() or 0) == events
        assert load_demo(system, clock) == 0
        # Check each order was placed once, and the one the README names is the spoiled one.
        numbers = [f"FG-2021-{n:06d}" for n in range(1, 17)]
        found = {number: system.orders.order_by_number(number) for number in numbers}
        assert [number for number, row in found.items() if row is not None] == numbers[:15]
        assert found[SPOILED_ORDER_NUMBER]["status"] == "SPOILED"
    finally:
        system.close()

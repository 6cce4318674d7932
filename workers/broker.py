"""The dramatiq broker from FARMGATE_BROKER_URL: Redis or RabbitMQ, or in-process (memory://)."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker


def make_broker(url: str) -> dramatiq.Broker:
    if url.startswith("memory://"):
        broker: dramatiq.Broker = StubBroker()
        broker.emit_after("process_boot")
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"FARMGATE_BROKER_URL scheme of {url.split(':', 1)[0]!r} is not memory, redis or amqp")
    dramatiq.set_broker(broker)
    return broker

"""The dramatiq broker from FARMGATE_BROKER_URL: Redis or RabbitMQ, or in-process (memory://)."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from farmgate.workers.job_tracing import JobTracing


def make_broker(url: str) -> dramatiq.Broker:
    """The broker of ``url`` (memory://, redis://, rediss://, amqp://, amqps://), made the global one,
    with the job-tracing middleware (request id carried into each job, a span per job). Raises
    ValueError for another scheme."""
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
    broker.add_middleware(JobTracing())
    dramatiq.set_broker(broker)
    return broker

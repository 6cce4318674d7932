"""The composition root: the application, the read store, the projector, the query objects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from farmgate.core.application import Clock, Farmgate, utc_now
from farmgate.core.audit_anchors import AuditAnchors
from farmgate.core.database import ReadStore
from farmgate.core.event_tail import RecentLog
from farmgate.core.household_imports import HouseholdImports
from farmgate.core.idempotency import IdempotencyStore
from farmgate.core.log_listener import PostgresLogListener
from farmgate.core.log_signals import LogSignals
from farmgate.core.policies import PolicyRunner
from farmgate.core.policies_registry import all_policies
from farmgate.core.projections.campaigns import CampaignQueries
from farmgate.core.projections.carriers import CarrierQueries
from farmgate.core.projections.catalog import CatalogQueries
from farmgate.core.projections.claims import ClaimQueries
from farmgate.core.projections.exports import ExportQueries
from farmgate.core.projections.households import HouseholdQueries
from farmgate.core.projections.orders import OrderQueries
from farmgate.core.projections.registry import all_projections
from farmgate.core.projections.rollout import RolloutQueries
from farmgate.core.projections.runner import Projector
from farmgate.core.projections.status import FollowerState, followers_state
from farmgate.core.projections.webhook_outbox import WebhookDeliveries, queue_audit_anchor
from farmgate.core.schema_migrations import SchemaBehind, migrate, migrate_connection, pending
from farmgate.core.webhook_destinations import DestinationPolicy, FileResolver, system_resolver
from farmgate.deploy.settings import Settings


@dataclass
class System:
    settings: Settings
    app: Farmgate
    store: ReadStore
    projector: Projector
    policies: PolicyRunner
    idempotency: IdempotencyStore
    imports: HouseholdImports
    households: HouseholdQueries
    exports: ExportQueries
    catalog: CatalogQueries
    webhooks: WebhookDeliveries
    orders: OrderQueries
    claims: ClaimQueries
    carriers: CarrierQueries
    rollouts: RolloutQueries
    campaigns: CampaignQueries
    #: the audit log's sealer and the anchors it stored
    anchors: AuditAnchors
    #: this process's wake-ups for followers of the log (projector, process steps, waits, subscriptions)
    signals: LogSignals
    #: the process's one LISTEN connection (PostgreSQL; None on SQLite and in memory)
    listener: PostgresLogListener | None = None
    #: the newest notifications, read once per change for every live subscription (PostgreSQL only)
    recent_log: RecentLog | None = None

    def followers(self) -> list[FollowerState]:
        """Every projection's and process step's position, lag and stall (one read of each kind)."""
        names = [(p.name, p.tracking_name, "projection") for p in self.projector.projections]
        names += [(p.tracking_name, p.tracking_name, "process step") for p in self.policies.policies]
        return followers_state(self.app, self.store, names, self.projector.stalls)

    def catch_up(self) -> None:
        """Run every process step and apply every recorded event to every read model (tests, CLI)."""
        self.policies.catch_up()
        self.projector.catch_up()

    def close(self) -> None:
        self.policies.stop()
        self.projector.stop()
        if self.listener is not None:
            self.listener.stop()
        self.app.close()


#: advisory lock key taken while tables are created, so processes starting together don't race
SCHEMA_LOCK = 0x46475343  # "FGSC"


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Serialise table creation across processes (CREATE … IF NOT EXISTS is not race-free on PostgreSQL)."""
    if not settings.database_url.startswith(("postgresql", "postgres")):
        yield
        return
    import psycopg

    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


def ensure_schema(settings: Settings, store: ReadStore) -> None:
    """The migrations of the tables that hold state (``core/migrations``): in production the database
    must already be current (``farmgate migrate``; raises SchemaBehind); elsewhere (the embedded SQLite
    default, tests) the pending ones are applied here. Read models are created by their projections."""
    if settings.database_url.startswith("memory"):
        with store.sqlite_connection() as connection:
            migrate_connection(connection)
    elif settings.is_production:
        behind = pending(settings.database_url)
        if behind:
            raise SchemaBehind(behind)
    else:
        migrate(settings.database_url)


def webhook_destinations(settings: Settings) -> DestinationPolicy:
    """Where webhooks may go: public addresses; also this machine outside production. Tests resolve
    names from FARMGATE_TEST_RESOLVER_FILE only, so no DNS query leaves the machine."""
    resolver = FileResolver(settings.test_resolver_file or "/nonexistent") if settings.env == "test" else system_resolver
    return DestinationPolicy(resolver=resolver, allow_loopback=not settings.is_production)


def build_system(settings: Settings, *, clock: Clock = utc_now, create_tables: bool = True) -> System:
    with schema_lock(settings):
        return _build_system(settings, clock, create_tables)


def _build_system(settings: Settings, clock: Clock, create_tables: bool) -> System:
    app = Farmgate(settings.persistence_env(), pii_pepper=settings.pii_pepper.get_secret_value(), clock=clock,
                   data_key=settings.data_key.get_secret_value(),
                   previous_data_keys=tuple(k for k in settings.data_key_previous.get_secret_value().split(",") if k))
    app.claim_response_time = timedelta(hours=settings.claim_response_hours)
    app.webhook_destinations = webhook_destinations(settings)
    app.export_sla_at_risk_share = settings.export_at_risk_share
    store = ReadStore(app)
    if create_tables:
        try:
            ensure_schema(settings, store)
        except BaseException:
            app.close()
            raise
    signals = LogSignals(notified=store.dialect == "postgres",
                         safety_poll_seconds=settings.log_safety_poll_seconds)
    app.on_recorded = signals.recorded.fire
    projector = Projector(app, store, all_projections(), batch_size=settings.projector_batch_size,
                          throttle_seconds=settings.projector_throttle_ms / 1000, signals=signals)
    policies = PolicyRunner(app, store, all_policies(), signals=signals)
    idempotency = IdempotencyStore(store, clock=clock, lease_seconds=settings.idempotency_lease_seconds)
    # Each sealed anchor is queued for the endpoints that chose audit.anchor, in the sealing transaction.
    anchors = AuditAnchors(store, settings.audit_signer(), on_sealed=queue_audit_anchor,
                           previous_keys=settings.audit_previous_keys())
    app.audit_anchors = anchors
    listener = None
    if signals.notified:
        listener = PostgresLogListener(store.connect_kwargs(), app.recorder.channel_name, signals)
        listener.start()
    imports = HouseholdImports(store, lease_seconds=settings.import_lease_seconds, clock=clock)
    if create_tables:
        projector.create_tables()
        policies.create_tables()
        if not settings.database_url.startswith("memory"):
            # core/migrations/0003 made the key store: no CREATE at first use (an in-memory database
            # is migrated on the read store's own connection, which the key store does not share)
            app.personal_keys.tables_migrated()
    return System(
        settings=settings,
        app=app,
        store=store,
        projector=projector,
        policies=policies,
        idempotency=idempotency,
        imports=imports,
        households=HouseholdQueries(store, app.personal_keys),
        exports=ExportQueries(store, app.personal_keys),
        catalog=CatalogQueries(store, app.personal_keys, clock=clock),
        webhooks=WebhookDeliveries(store),
        orders=OrderQueries(store, app.personal_keys),
        claims=ClaimQueries(store),
        carriers=CarrierQueries(store),
        rollouts=RolloutQueries(store),
        campaigns=CampaignQueries(store),
        anchors=anchors,
        signals=signals,
        listener=listener,
        recent_log=RecentLog(app, signals) if signals.notified else None,
    )

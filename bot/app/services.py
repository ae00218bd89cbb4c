"""Opening the services: load the heavy components, migrate, wire the engine, build backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import anyio

from actions.protocol import Similarity
from actions.registry import default_actions
from bot.app.sources import stored_sources, synced_entries
from bot.auth.readers import Readers
from bot.auth.roles import Role
from bot.auth.store import AuthStore
from bot.channels.addresses import ChannelAddressStore
from bot.console.live import announcer, approval_announcer
from bot.dialogue.engine import DialogueEngine, Thresholds
from bot.events import open_bus
from bot.insights.notices import NoticeAnswers, outage_notice
from bot.kernel.directory import Directory
from bot.kernel.errors import GuichetError
from bot.kernel.problems import ProblemBackend
from bot.kernel.ticket_models import Ticket
from bot.observability.metrics import PrometheusObserver
from bot.observability.observer import NO_OBSERVER, Observer
from bot.observability.suggestions import ObservedSuggestions
from bot.privacy.log_filter import install_log_redaction
from bot.privacy.redact import Redactor
from bot.problems.known_errors import KnownErrorPublisher
from bot.problems.service import ProblemService
from bot.problems.sync import ProblemSyncWorker
from bot.scale.setup import open_scale
from bot.self_service.codes import OneTimeCodes
from bot.self_service.digests import Digests
from bot.self_service.links import ResetLinks
from bot.self_service.service import DirectorySelfService
from bot.services import Components, Services
from bot.settings import Environment, Settings
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.knowledge_sources import KnowledgeSourceStore
from bot.storage.notices import NoticeStore
from bot.storage.problems import ProblemStore
from bot.storage.search_feedback import FeedbackStore
from bot.storage.tickets import TicketStore
from bot.tickets.approvals import ApprovalService
from bot.tickets.incidents import IncidentBroadcaster, NoticeSubscriptions, ParentResolution
from bot.tickets.maintenance import Announcer, CalendarSync, MaintenanceRounds
from bot.tickets.notify import TicketNotifier
from bot.tickets.reach import Reach
from bot.tickets.service import TicketService
from bot.tickets.survey import SatisfactionSurveys
from bot.tickets.sync import SyncWorker
from connectors.assets.registry import InventoryContext, build_inventory
from connectors.delivery.registry import build_senders
from connectors.directory.registry import build_directory
from connectors.itsm.registry import (
    PROBLEM_BACKENDS,
    BackendContext,
    build_backend,
    build_calendar,
)
from knowledge_index.abstention import AbstentionModel, Sureness
from knowledge_index.documents import Entry
from knowledge_index.embedders import Embedder, load_embedder
from knowledge_index.feedback import FeedbackKnowledgeBase
from knowledge_index.service import SharedQueryEmbedder, open_knowledge_base
from nlu.data import load_training_data
from nlu.language import LanguageDetector
from nlu.registry import PARSERS, ParserContext

Progress = Callable[[int, int], None]


def similarity_of(embedder: Embedder) -> Similarity:
    """Cosine similarity of a text to each of several others, off the event loop."""

    async def similarity(text: str, others: Sequence[str]) -> list[float]:
        if not others:
            return []
        vectors = await anyio.to_thread.run_sync(embedder.embed, [text, *others])
        return [float(score) for score in vectors[1:] @ vectors[0]]

    return similarity


def outage_notice_publisher(notices: NoticeStore) -> Callable[[Ticket], Awaitable[None]]:
    """What outage grouping calls when several people report the same symptom."""

    async def publish(parent: Ticket) -> None:
        await notices.publish(outage_notice(parent))

    return publish


def open_problems(
    settings: Settings, database: Database, tickets: TicketService, components: Components
) -> ProblemService:
    """Problem records; a published workaround is written into the knowledge-base folder and
    the index kept with the enabled sources' documents (and announced to other processes)."""

    async def synced() -> list[Entry]:
        return await KnowledgeSourceStore(database).entries(stored_sources(settings))

    async def announce() -> None:
        if settings.redis_url:
            from bot.scale.index_versions import announce_version

            await anyio.to_thread.run_sync(announce_version, settings.redis_url, settings.index_dir)

    return ProblemService(
        ProblemStore(database),
        tickets,
        KnownErrorPublisher(components.knowledge, synced=synced, announce=announce),
        problem_backends=[b for b in settings.tickets.sync_backends if b in PROBLEM_BACKENDS],
        redactor=tickets.redactor,
    )


def open_self_service(
    settings: Settings, database: Database, directory: Directory
) -> DirectorySelfService:
    """Password reset and unlock: the directory, the code senders, codes and links kept as
    digests keyed with the secret key."""
    digests = Digests(settings.secret_key.get_secret_value())
    return DirectorySelfService(
        directory,
        build_senders(settings.delivery),
        OneTimeCodes(database, digests),
        ResetLinks(database, digests),
        digests,
        development=settings.environment is Environment.DEVELOPMENT,
    )


async def load_components(
    settings: Settings,
    *,
    index_progress: Progress | None = None,
    train_progress: Progress | None = None,
) -> Components:
    """Load the model, (re)build the index and train the NLU when their inputs changed."""
    embedder = await anyio.to_thread.run_sync(load_embedder, settings.knowledge.embedder)
    # The documents synced from other sources than the folder (none unless some are enabled).
    synced = await synced_entries(settings)
    knowledge = await anyio.to_thread.run_sync(
        lambda: open_knowledge_base(
            settings.knowledge.kb_dir,
            settings.index_dir,
            embedder,
            progress=index_progress,
            build=settings.knowledge.build_on_start,
            synced=synced,
        )
    )
    data = await anyio.to_thread.run_sync(load_training_data, settings.nlu.data_dir)
    parser = await PARSERS.get(settings.nlu.engine)(
        ParserContext(
            settings=settings,
            # One embedding of a message for its intent and its search.
            embedder=SharedQueryEmbedder(embedder, knowledge.vectors),
            data=data,
            progress=train_progress,
        )
    )
    languages = await anyio.to_thread.run_sync(LanguageDetector, data)
    return Components(embedder=embedder, knowledge=knowledge, parser=parser, languages=languages)


async def open_services(settings: Settings, components: Components | None = None) -> Services:
    """Migrate the database and wire the engine; loads the components unless given."""
    redactor = Redactor(settings.privacy.patterns)
    database = Database(settings.effective_database_url, redactor)
    await database.migrate()
    components = components or await load_components(settings)
    install_log_redaction(redactor)
    notices = NoticeStore(database, show_ahead=timedelta(hours=settings.changes.show_ahead_hours))
    feedback = FeedbackStore(database, redactor=redactor)
    # One judge of "sure" for the chat, search and the omnibox.
    sureness = Sureness(
        AbstentionModel.load(),
        settings.knowledge.confidence_threshold,
        settings.knowledge.chat_answer_confidence,
    )
    knowledge = FeedbackKnowledgeBase(components.knowledge, feedback, sureness=sureness)
    directory = build_directory(settings.directory)
    readers = Readers(components.knowledge, directory)
    self_service = open_self_service(settings, database, directory)
    assets = build_inventory(InventoryContext(settings.assets, settings.itsm))
    conversations = ConversationStore(database, redactor)
    events = open_bus(settings.redis_url)
    auth = AuthStore(
        database,
        session_minutes=settings.auth.session_minutes,
        # Only where revocations are heard from the other processes (and the CLI): Redis.
        token_cache_seconds=settings.auth.token_cache_seconds if settings.redis_url else 0.0,
        events=events,
    )

    async def display_name(email: str) -> str | None:
        """An account's name, else the directory's (an approver who is no agent)."""
        user = await auth.user(email)
        if user is not None and user.display_name and user.display_name != email.split("@")[0]:
            return user.display_name
        try:
            person = await directory.lookup(email)
        except GuichetError:
            person = None
        return person.name if person is not None else user.display_name if user else None

    async def has_role(email: str, roles: tuple[Role, ...]) -> bool:
        user = await auth.user(email)
        return user is not None and user.role in roles

    tickets = TicketService(TicketStore(database), settings.tickets, redactor, display_name)
    notifier = TicketNotifier(database, conversations)
    reach = Reach(database, default_language=settings.default_language)
    surveys = SatisfactionSurveys(database, reach)
    incidents = IncidentBroadcaster(database, notices, tickets, reach, directory)
    tickets.observers += [ParentResolution(tickets, notifier), surveys]
    notices.listeners.append(incidents.listen)
    scale = open_scale(settings)
    problems = open_problems(settings, database, tickets, components)
    approvals = ApprovalService(
        tickets=tickets,
        notifier=notifier,
        directory=directory,
        addresses=ChannelAddressStore(database),
        conversations=conversations,
        catalog=components.knowledge.catalog_item,
        settings=settings.approvals,
        is_admin=lambda email: has_role(email, ("admin",)),
        is_agent=lambda email: has_role(email, ("agent", "admin")),
        locks=scale.locks,
        default_language=settings.default_language,
    )
    engine = DialogueEngine(
        parser=components.parser,
        knowledge=knowledge,
        actions=default_actions(self_service),
        conversations=conversations,
        tickets=tickets,
        languages=components.languages,
        similarity=similarity_of(components.embedder),
        action_extras={
            "default_timezone": settings.default_timezone,
            # The service desk's hours and how the hand-off estimates the wait.
            "desk_hours": settings.tickets.calendar,
            "handoff": settings.tickets.handoff,
            # The organisation's language: a parent incident's title, for the service desk.
            "default_language": settings.default_language,
            # A catalog order waiting for approval: find its approver and tell them.
            "request_approval": approvals.request,
            # Published known errors: offered to matching incidents, which are linked to them.
            "known_errors": problems,
            "assets": assets,
            "replacement_age_years": settings.assets.replacement_age_years,
            "replacement_item": settings.assets.replacement_item,
            **(
                {"publish_notice": outage_notice_publisher(notices)}
                if settings.insights.auto_publish_outages
                else {}
            ),
        },
        notices=NoticeAnswers(notices, components.knowledge),
        default_language=settings.default_language,
        thresholds=Thresholds(suggest=settings.knowledge.chat_suggest_threshold),
        locks=scale.locks,
        readers=readers.by_email,
        approvals=approvals,
        surveys=surveys,
    )
    engine.on_saved = announcer(events)
    approvals.on_change = approval_announcer(events)
    observer: Observer = PrometheusObserver() if settings.metrics.enabled else NO_OBSERVER
    engine.observer = tickets.observer = observer
    suggestions = ObservedSuggestions(
        components.knowledge,
        notices,
        feedback,
        suggest_threshold=settings.knowledge.suggest_threshold,
        sureness=sureness,
        # The notices' clock (tests set it): what is shown and how it is told agree.
        clock=lambda: notices.clock(),
        default_zone=settings.default_timezone,
    )
    suggestions.observer = observer
    return Services(
        settings=settings,
        scale=scale,
        database=database,
        conversations=conversations,
        tickets=tickets,
        notifier=notifier,
        directory=directory,
        self_service=self_service,
        components=components,
        engine=engine,
        notices=notices,
        feedback=feedback,
        suggestions=suggestions,
        auth=auth,
        readers=readers,
        events=events,
        approvals=approvals,
        observer=observer,
        reach=reach,
        incidents=incidents,
        subscriptions=NoticeSubscriptions(database, notices),
        surveys=surveys,
        problems=problems,
        assets=assets,
    )


def maintenance_rounds(services: Services) -> MaintenanceRounds:
    """The change calendars configured, and the announcer of planned maintenance."""
    settings = services.settings
    context = BackendContext(itsm=settings.itsm)
    calendars = {name: build_calendar(name, context) for name in settings.changes.calendars}
    sync = CalendarSync(services.database, services.notices, calendars) if calendars else None
    announcer = Announcer(
        services.database,
        services.notices,
        services.directory,
        services.reach,
        settings.changes,
        default_language=settings.default_language,
        default_zone=settings.default_timezone,
    )
    interval = timedelta(seconds=settings.changes.calendar_interval_seconds)
    return MaintenanceRounds(sync, announcer, interval=interval)


def sync_worker(services: Services) -> SyncWorker | None:
    """The worker pushing tickets to the configured ITSM backends, reading their change
    calendars and announcing planned maintenance."""
    names = services.settings.tickets.sync_backends
    context = BackendContext(itsm=services.settings.itsm)
    backends = {name: build_backend(name, context) for name in names}
    worker = SyncWorker(
        services.tickets,
        backends,
        services.notifier,
        lease=timedelta(seconds=services.settings.tickets.sync_lease_seconds),
        locks=services.scale.locks,
        observer=services.observer,
    )
    worker.maintenance = maintenance_rounds(services)
    return worker


def problem_sync_worker(services: Services) -> ProblemSyncWorker | None:
    """The worker copying problems to the synced ITSM tools that have problem records."""
    problems = services.problems
    if problems is None or not problems.problem_backends:
        return None
    context = BackendContext(itsm=services.settings.itsm)
    backends: dict[str, ProblemBackend] = {}
    for name in problems.problem_backends:
        backend = build_backend(name, context)
        assert isinstance(backend, ProblemBackend), name
        backends[name] = backend
    return ProblemSyncWorker(
        problems.store,
        backends,
        redactor=services.tickets.redactor,
        lease=timedelta(seconds=services.settings.tickets.sync_lease_seconds),
    )

"""Everything the service needs at run time, opened once (by the composition root, bot/app) and
handed out to routes, channels and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.auth.chat_links import ChatLinks
from bot.auth.readers import Readers
from bot.auth.store import AuthStore
from bot.channels.protocol import ChatChannel
from bot.channels.registry import channel_registry
from bot.dialogue.engine import DialogueEngine
from bot.events import EventBus
from bot.kernel.assets import AssetInventory
from bot.kernel.directory import Directory
from bot.kernel.registry import Registry
from bot.observability.observer import NO_OBSERVER, Observer
from bot.problems.service import ProblemService
from bot.scale.setup import Scale
from bot.self_service.service import DirectorySelfService
from bot.settings import Settings
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.notices import NoticeStore
from bot.storage.search_feedback import FeedbackStore
from bot.tickets.approvals import ApprovalService
from bot.tickets.incidents import IncidentBroadcaster, NoticeSubscriptions
from bot.tickets.notify import TicketNotifier
from bot.tickets.reach import Reach
from bot.tickets.service import TicketService
from bot.tickets.survey import SatisfactionSurveys
from knowledge_index.embedders import Embedder
from knowledge_index.service import IndexedKnowledgeBase
from knowledge_index.suggest import SuggestionService
from nlu.language import LanguageDetector
from nlu.protocol import IntentParser


@dataclass
class Components:
    """The heavy, read-only parts: loaded once per process and shared by every request."""

    embedder: Embedder
    knowledge: IndexedKnowledgeBase
    parser: IntentParser
    languages: LanguageDetector


@dataclass
class Services:
    settings: Settings
    database: Database
    conversations: ConversationStore
    tickets: TicketService
    notifier: TicketNotifier
    directory: Directory
    # Password reset and unlock: the directory, one-time codes, their senders, reset links.
    self_service: DirectorySelfService
    components: Components
    engine: DialogueEngine
    notices: NoticeStore
    feedback: FeedbackStore
    suggestions: SuggestionService
    auth: AuthStore
    # Who may read restricted entries (directory groups), for search, suggestions and pages.
    readers: Readers
    # Live updates for the console, across processes when Redis is configured.
    events: EventBus
    # Approvals that reach the approver (catalog orders), their reminders and escalation.
    approvals: ApprovalService
    # Telling people outside a reply: notices of major incidents, satisfaction surveys.
    reach: Reach
    incidents: IncidentBroadcaster
    subscriptions: NoticeSubscriptions
    surveys: SatisfactionSurveys
    # Channels register themselves here when the app mounts them (web, Slack, Teams).
    channels: Registry[ChatChannel] = field(default_factory=channel_registry)
    # Conversation locks and the Redis link shared with the other processes.
    scale: Scale = field(default_factory=Scale)
    # What the core reports for /metrics (bot/observability); does nothing when metrics are off.
    observer: Observer = NO_OBSERVER
    # Problem records and their known errors (bot/problems).
    problems: ProblemService | None = None

    @property
    def chat_links(self) -> ChatLinks:
        """One-time sign-in links for the pages the bot links to in chat (bot/auth/chat_links)."""
        return ChatLinks(self.database, self.auth, minutes=self.settings.auth.chat_link_minutes)

    # The employees' devices and licences (GUICHET_ASSETS__BACKEND); None: no inventory.
    assets: AssetInventory | None = None

    @property
    def knowledge(self) -> IndexedKnowledgeBase:
        return self.components.knowledge

    @property
    def embedder(self) -> Embedder:
        return self.components.embedder

    async def close(self) -> None:
        for sender in {id(s): s for s in self.self_service.senders.values()}.values():
            await sender.aclose()
        await self.directory.aclose()
        if self.assets is not None:
            await self.assets.aclose()
        await self.events.aclose()
        await self.scale.aclose()
        await self.database.close()

"""Everything the service needs at run time, opened once (by the composition root, bot/app) and
handed out to routes, channels and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from actions.identity import IdentityProvider
from bot.auth.store import AuthStore
from bot.channels.protocol import ChatChannel
from bot.channels.registry import channel_registry
from bot.dialogue.engine import DialogueEngine
from bot.events import EventBus
from bot.kernel.assets import AssetInventory
from bot.kernel.directory import Directory
from bot.kernel.registry import Registry
from bot.scale.setup import Scale
from bot.settings import Settings
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.notices import NoticeStore
from bot.storage.search_feedback import FeedbackStore
from bot.tickets.notify import TicketNotifier
from bot.tickets.service import TicketService
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
    identity: IdentityProvider
    directory: Directory
    components: Components
    engine: DialogueEngine
    notices: NoticeStore
    feedback: FeedbackStore
    suggestions: SuggestionService
    auth: AuthStore
    # Live updates for the console, across processes when Redis is configured.
    events: EventBus
    # Channels register themselves here when the app mounts them (web, Slack, Teams).
    channels: Registry[ChatChannel] = field(default_factory=channel_registry)
    # Conversation locks and the Redis link shared with the other processes.
    scale: Scale = field(default_factory=Scale)
    # The employees' devices and licences (GUICHET_ASSETS__BACKEND); None: no inventory.
    assets: AssetInventory | None = None

    @property
    def knowledge(self) -> IndexedKnowledgeBase:
        return self.components.knowledge

    @property
    def embedder(self) -> Embedder:
        return self.components.embedder

    async def close(self) -> None:
        await self.directory.aclose()
        if self.assets is not None:
            await self.assets.aclose()
        await self.events.aclose()
        await self.scale.aclose()
        await self.database.close()

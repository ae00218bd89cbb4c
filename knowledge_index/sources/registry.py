"""The registry of knowledge sources, chosen by name (`GUICHET_KNOWLEDGE__SOURCES__ENABLED`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.kernel.registry import Registry
from bot.settings.sources import SourceSettings
from knowledge_index.sources.confluence import ConfluencePages
from knowledge_index.sources.folder import FolderSource
from knowledge_index.sources.glpi import GlpiKnowledge
from knowledge_index.sources.protocol import KnowledgeSource, SourceContext
from knowledge_index.sources.request_tracker import RequestTrackerArticles
from knowledge_index.sources.servicenow import ServiceNowKnowledge
from knowledge_index.sources.sharepoint import SharePointPages
from knowledge_index.sources.zammad import ZammadKnowledge

FOLDER = "folder"
SourceFactory = Callable[[SourceContext], KnowledgeSource]
SOURCES: Registry[SourceFactory] = Registry("knowledge source")


def build_source(name: str, context: SourceContext) -> KnowledgeSource:
    return SOURCES.get(name)(context)


def configured_sources(context: SourceContext) -> list[str]:
    """The folder, then the enabled sources, by name."""
    return [FOLDER, *(name for name in context.settings.enabled if name != FOLDER)]


SOURCES.register(FOLDER, lambda context: FolderSource(context.kb_dir))


def _remote(
    source: Callable[..., KnowledgeSource], settings_of: Callable[[SourceSettings], object]
) -> SourceFactory:
    """A source reached over HTTP: its own settings, and the sources' common timeout."""

    def build(context: SourceContext) -> KnowledgeSource:
        settings = context.settings
        return source(settings_of(settings), timeout_seconds=settings.timeout_seconds)

    return build


SOURCES.register("request_tracker", _remote(RequestTrackerArticles, lambda s: s.request_tracker))
# The ITSM tools' knowledge bases, then the wikis.
SOURCES.register("servicenow", _remote(ServiceNowKnowledge, lambda s: s.servicenow))
SOURCES.register("glpi", _remote(GlpiKnowledge, lambda s: s.glpi))
SOURCES.register("zammad", _remote(ZammadKnowledge, lambda s: s.zammad))
SOURCES.register("confluence", _remote(ConfluencePages, lambda s: s.confluence))
SOURCES.register("sharepoint", _remote(SharePointPages, lambda s: s.sharepoint))

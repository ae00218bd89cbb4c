"""The registry of knowledge sources, chosen by name (`GUICHET_KNOWLEDGE__SOURCES__ENABLED`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.kernel.registry import Registry
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
SOURCES.register(
    "request_tracker",
    lambda context: RequestTrackerArticles(
        context.settings.request_tracker, timeout_seconds=context.settings.timeout_seconds
    ),
)
# The ITSM tools' knowledge bases.
SOURCES.register(
    "servicenow",
    lambda context: ServiceNowKnowledge(
        context.settings.servicenow, timeout_seconds=context.settings.timeout_seconds
    ),
)
SOURCES.register(
    "glpi",
    lambda context: GlpiKnowledge(
        context.settings.glpi, timeout_seconds=context.settings.timeout_seconds
    ),
)
SOURCES.register(
    "zammad",
    lambda context: ZammadKnowledge(
        context.settings.zammad, timeout_seconds=context.settings.timeout_seconds
    ),
)
SOURCES.register(
    "confluence",
    lambda context: ConfluencePages(
        context.settings.confluence, timeout_seconds=context.settings.timeout_seconds
    ),
)
SOURCES.register(
    "sharepoint",
    lambda context: SharePointPages(
        context.settings.sharepoint, timeout_seconds=context.settings.timeout_seconds
    ),
)

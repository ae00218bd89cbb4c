"""Where the knowledge base's documents come from: the folder (the default) and the tools and
wikis they live in, each behind the `KnowledgeSource` Protocol, synced incrementally."""

"""The composition root: the only place that imports channels and ITSM backends and wires
them through their registries. It assembles the app, the services and the `guichet` command."""

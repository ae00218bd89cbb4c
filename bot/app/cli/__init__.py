"""The `guichet` command and its sub-commands."""

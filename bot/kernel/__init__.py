"""The kernel: what every layer shares. It imports nothing else of the project."""

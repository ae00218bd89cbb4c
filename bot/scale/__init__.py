"""Several processes side by side: conversation locks, Redis health, index versions."""

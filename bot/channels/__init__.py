"""Chat channels: how replies and pushed messages reach a user where they talk to Guichet."""

"""Slack channel: slack-bolt's AsyncApp at /slack/events."""

"""The host servers' Mattermost REST API v4."""

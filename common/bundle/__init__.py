"""The Mattermost plugin bundle format: safe reading, manifest validation, extraction."""

"""The Mattermost plugin bundle format: safe reading, manifest parsing and validation, extraction."""

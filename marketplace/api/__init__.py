"""The catalog REST API (DRF, documented by drf-spectacular) under ``/api/catalog/``."""

"""REST API of the certification pipeline, under /api/certification/."""

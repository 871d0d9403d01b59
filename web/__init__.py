"""The HTTP side of ``loa run``: feeds, LED screens, /healthz and /metrics (Starlette on uvicorn)."""

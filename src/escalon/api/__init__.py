"""The HTTP service: the FastAPI application, its dependencies and error handling."""

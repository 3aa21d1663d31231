"""The service's public surface: REST controllers and the `/chat` WebSocket."""

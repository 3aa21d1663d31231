"""The `/chat` WebSocket."""

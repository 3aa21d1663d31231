"""REST controllers: thin, each handler one service call."""

"""Real-time one-to-one chat service."""

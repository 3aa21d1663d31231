"""Live delivery: fan-out between processes, each connection's ordered outgoing stream,
typing indicators."""

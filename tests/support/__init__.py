"""Test support: real services, a real `chat serve` process, real clients."""

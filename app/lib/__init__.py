"""Cross-cutting plumbing every layer may use: settings, logs, batching, the collector."""

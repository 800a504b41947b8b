"""The staff API: authenticated, per-region staff actions on the queue, with an audit trail."""

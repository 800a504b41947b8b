"""Capacity what-if: replay arrivals through the queue's own core to size staffing (issue 16)."""

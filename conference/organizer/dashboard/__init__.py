"""The live dashboard: tallies kept by triggers, stored snapshots, the figures, their charts and the
small-count rule."""

"""NSX as read: one bulk GET of the policy tree -> LiveState (state.py), built by read.py."""

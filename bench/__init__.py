"""`make bench`: the figures issue 8 asks for, measured against the sandboxes."""

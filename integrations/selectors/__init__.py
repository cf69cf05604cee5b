"""Read-only queries for the portal and the agency pages (STYLE: selectors read).

Each runs in whatever schema the caller is in: a portal request is already in its
practice's schema.
"""

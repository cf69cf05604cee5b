"""The practice's portal (on its own host), one module per page.

Views parse input, call a selector or a service, and render; every one of them is behind
`membership_required`, so a member of another practice gets 403 whatever the URL.
"""

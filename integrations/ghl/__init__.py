"""GoHighLevel (white-labelled "Aesthetix CRM"): OAuth, a thin v2 client, webhook
verification and a faithful sandbox.

Nothing here imports Django: token persistence goes through the `TokenStore`
protocol in `tokens.py`, which the tenants app implements with a row lock.
"""

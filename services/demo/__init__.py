"""``samlast demo``: the whole stack up, and one network's first cycle walked through it.

- ``run`` — starts the servers, the API and the matcher, checks them, prints what it saw;
- ``walkthrough`` — the cycle, step by step, through the public HTTP API only;
- ``network`` — the demo's network: Uppsala län's farms, co-ops, products and orders.
"""

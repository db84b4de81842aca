"""Stage 2, route: joint runs for the allocation's shipments, the baseline they are
compared with, and who pays for each route.

``plans.plan_routing`` is the entry; ``shipments`` turns allocations into shipments,
``travel`` gives distances and times, ``solver`` (the only module that imports PyVRP)
plans routes, ``hub`` the plan via a network's hub, ``alone`` what a shipment or a
producer can do alone (the baseline's rules), ``shares`` splits a route's cost;
``model`` holds the structs in and out.
"""

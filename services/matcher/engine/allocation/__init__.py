"""Stage 1, allocate: pool the co-ops' demand into whole producer packs, split fairly.

``allocate`` is the entry; ``pins`` applies the coordinator's pins first; ``group``
indexes each product group once, and ``packing`` plans it (``landed`` orders offers
by landed cost, ``completion`` completes part-used packs from tolerance, ``reasons``
says why a line fell short), each reading the index, none importing another back;
``transport`` estimates carriage before any route is planned; ``model`` holds the
structs in and out.
"""

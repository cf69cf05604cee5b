"""`make bench-scale`: what an agency of thousands of practices costs the database.

Not part of `make bench` or `make test`: it creates hundreds of throwaway practice
schemas (`bench-scale-*`, dropped afterwards) and takes tens of minutes.
"""

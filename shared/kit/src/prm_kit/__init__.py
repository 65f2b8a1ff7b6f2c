"""prm_kit: the small service kit every PRM service is built from."""

"""masakari_ha: instance high availability for OpenStack clouds."""

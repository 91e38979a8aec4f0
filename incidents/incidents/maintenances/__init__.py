"""maintenances."""

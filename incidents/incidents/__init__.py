"""incidents: components, incidents with timelines, maintenances and problem reports."""

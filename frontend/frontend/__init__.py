"""frontend: the public status page, the staff console and the admin pages."""

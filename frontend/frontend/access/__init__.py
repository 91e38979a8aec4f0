"""A private status page (PAGE_VISIBILITY): service.py decides, views.py gates the requests."""

"""banners."""

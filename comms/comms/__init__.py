"""comms: banners, and notifications that reach people and channels and are never lost."""

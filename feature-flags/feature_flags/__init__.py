"""feature-flags: flags with targeting and gradual rollout, for any OpenFeature SDK (OFREP)."""

"""The kernel every domain app builds on: what is not about organisations,
people or meetings. It imports no domain app."""

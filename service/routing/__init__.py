"""Routing (การส่งต่อ): a letter sent on to a unit or a person. The whole journey is the next capability."""

"""Letters as read back: the input model a clerk types, views, downloads, derived renditions, vocabularies."""

"""The office's work processes as cases (กระบวนงาน, seeds 000–003): templates with standard durations, cases whose
steps point at registered letters. Next capability: built here."""

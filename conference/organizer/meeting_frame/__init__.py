"""The console's Meetings page: the times when attendees can meet in person, and the spots (the rules are
conference/meetings/frame.py)."""

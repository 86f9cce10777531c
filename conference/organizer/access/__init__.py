"""Who organizes which conference: organizer rows, inviting the team, and the check on every console page."""

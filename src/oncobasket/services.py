"""Use cases: each public function is one thing a user does, and owns its one transaction."""

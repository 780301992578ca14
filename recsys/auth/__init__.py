"""Account rules without a database: what a valid name, e-mail and password are, bcrypt hashing,
and how failed log-ins and registrations are throttled (by client, never by account alone)."""

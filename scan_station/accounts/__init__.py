"""Who may do what: the roles and their permissions (`roles`), users and their logins
(`users`), and the two-person rule for access to "dikecualikan" documents (`grants`)."""

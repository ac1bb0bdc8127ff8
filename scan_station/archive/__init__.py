"""Storage read back and carried away: `verify` and the scheduled `fixity` check, `backup` and
restore, `rebuild` (the database from storage), and BagIt export and import (`bag`,
`bag_checks`, `bag_fit`)."""

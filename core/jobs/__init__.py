"""Work that outlives a page: jobs in the database, claimed and run by workers."""

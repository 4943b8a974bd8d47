"""Load and speed benchmarks. Run on PostgreSQL + Redis; see README.md here."""

"""Operations run from the command line beside the service (backups of the embedded default)."""

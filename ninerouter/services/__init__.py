"""Operations shared by the CLI and the admin API, so both take one code path."""

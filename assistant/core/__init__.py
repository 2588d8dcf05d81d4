"""Framework-free foundations: configuration, database, security, errors, i18n."""

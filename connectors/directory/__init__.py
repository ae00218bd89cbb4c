"""Directory backends (`bot.kernel.directory.Directory`): LDAP / Active Directory, Microsoft
Entra ID, Keycloak and the demo `builtin`."""

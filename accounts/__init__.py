"""Who may do what: the roles and their permissions, the permission matrix
(access.py), the admin site, the idle timeout and login lockouts."""

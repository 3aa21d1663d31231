"""Plain Python: the chat's entities, rules and errors. No framework, driver or broker here."""

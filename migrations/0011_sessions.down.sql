-- Undoes 0011: every session ends (their tokens stop working with the code before it).
DROP TABLE ws_tickets;
DROP TABLE refresh_tokens;
DROP TABLE sessions;

// The peer: a Socket.IO + PostgreSQL relay doing the seed milestone's job the seed's way. JWT
// in the handshake, a room per user, one transaction per message (get or create the
// conversation, insert the message), then emit to the recipient's room and ack the sender.
// Tables of its own (peer_*), in the bench's database, indexed as the seed's data model is
// (messages: by conversation and time, by sender, by recipient and status, full text).
"use strict";

const http = require("node:http");
const jwt = require("jsonwebtoken");
const { Pool } = require("pg");
const { Server } = require("socket.io");

const SECRET = process.env.PEER_JWT_SECRET;
const pool = new Pool({ connectionString: process.env.PEER_DATABASE_URL, max: 10 });

const SCHEMA = `
CREATE TABLE IF NOT EXISTS peer_conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant1_id uuid NOT NULL,
  participant2_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (participant1_id, participant2_id)
);
CREATE TABLE IF NOT EXISTS peer_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES peer_conversations (id),
  sender_id uuid NOT NULL,
  recipient_id uuid NOT NULL,
  content text NOT NULL,
  status text NOT NULL DEFAULT 'sent',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS peer_messages_by_conversation
  ON peer_messages (conversation_id, created_at);
CREATE INDEX IF NOT EXISTS peer_messages_by_sender ON peer_messages (sender_id);
CREATE INDEX IF NOT EXISTS peer_messages_by_recipient ON peer_messages (recipient_id, status);
CREATE INDEX IF NOT EXISTS peer_messages_search
  ON peer_messages USING gin (to_tsvector('english', content));`;

const FIND_CONVERSATION = `
SELECT id FROM peer_conversations WHERE participant1_id = $1 AND participant2_id = $2`;
const CREATE_CONVERSATION = `
INSERT INTO peer_conversations (participant1_id, participant2_id) VALUES ($1, $2)
ON CONFLICT (participant1_id, participant2_id) DO NOTHING RETURNING id`;
const INSERT_MESSAGE = `
INSERT INTO peer_messages (conversation_id, sender_id, recipient_id, content)
VALUES ($1, $2, $3, $4) RETURNING id, conversation_id, created_at, status`;

async function store(senderId, recipientId, content) {
  const [low, high] = senderId < recipientId ? [senderId, recipientId] : [recipientId, senderId];
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    let found = await client.query(FIND_CONVERSATION, [low, high]);
    if (found.rows.length === 0) {
      await client.query(CREATE_CONVERSATION, [low, high]);
      found = await client.query(FIND_CONVERSATION, [low, high]);
    }
    const inserted = await client.query(INSERT_MESSAGE, [
      found.rows[0].id, senderId, recipientId, content,
    ]);
    await client.query("COMMIT");
    const row = inserted.rows[0];
    return {
      id: row.id, conversationId: row.conversation_id, senderId, recipientId, content,
      status: row.status, createdAt: row.created_at,
    };
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

async function main() {
  await pool.query(SCHEMA);
  const server = http.createServer((_, response) => response.end("ok"));
  const io = new Server(server, { transports: ["websocket"], serveClient: false });
  io.use((socket, next) => {
    try {
      const claims = jwt.verify(socket.handshake.auth.token, SECRET, {
        algorithms: ["HS256"], audience: "chat", issuer: "chat",
      });
      socket.data.userId = claims.sub;
      next();
    } catch {
      next(new Error("UNAUTHORIZED"));
    }
  });
  io.on("connection", (socket) => {
    socket.join(socket.data.userId);
    socket.on("message:send", async (data, ack) => {
      const reply = typeof ack === "function" ? ack : () => {};
      const { recipientId, content } = data || {};
      if (typeof recipientId !== "string" || typeof content !== "string" || !content) {
        return reply({ error: { code: "VALIDATION_ERROR" } });
      }
      try {
        const message = await store(socket.data.userId, recipientId, content);
        io.to(recipientId).emit("message:received", message);
        reply({ data: message });
      } catch {
        reply({ error: { code: "INTERNAL_ERROR" } });
      }
    });
  });
  server.listen(Number(process.env.PEER_PORT), "127.0.0.1");
  process.on("SIGTERM", () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

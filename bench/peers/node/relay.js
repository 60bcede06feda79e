// The Node.js `ws` relay that bench/compare runs chatd against: what a
// team would write first. It speaks the benchmark's subset of the chatd
// protocol: GET /ws?user=NAME, a welcome, JSON send in, message to every
// connection of the recipient and sent to the sender out; anything else
// (acks, pings as frames) is ignored.
//
// Usage: node relay.js [PORT]   (0 picks a free port; it prints "listening
// PORT" once ready)
'use strict';

const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8090);
const users = new Map(); // user -> Set of sockets
let nextId = 0;

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const user = new URL(req.url, 'http://relay').searchParams.get('user');
  if (!user) {
    ws.close(1008, 'missing user');
    return;
  }
  const connectionId = `node-c${nextId++}`;
  let mine = users.get(user);
  if (!mine) users.set(user, (mine = new Set()));
  mine.add(ws);
  ws.send(JSON.stringify({ welcome: { connectionId, user } }));

  ws.on('message', (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      ws.send(JSON.stringify({ error: { code: 'MALFORMED_FRAME', message: 'invalid JSON' } }));
      return;
    }
    const send = frame.send;
    if (!send) return;
    const targets = users.get(send.to);
    if (!targets) {
      ws.send(JSON.stringify({
        error: { id: send.id, code: 'RECIPIENT_OFFLINE', message: `"${send.to}" has no live connection` },
      }));
      return;
    }
    const messageId = `node-${nextId++}`;
    const out = JSON.stringify({
      message: {
        messageId, from: user, to: send.to, text: send.text,
        sentAt: new Date().toISOString(), fromConnection: connectionId,
      },
    });
    for (const t of targets) t.send(out);
    ws.send(JSON.stringify({ sent: { id: send.id, messageId, status: 'DELIVERED' } }));
  });

  ws.on('close', () => {
    mine.delete(ws);
    if (mine.size === 0) users.delete(user);
  });
});

wss.on('listening', () => console.log(`listening ${wss.address().port}`));
